"""Husky: a local-first job scheduler."""

__version__ = "0.1.0"
