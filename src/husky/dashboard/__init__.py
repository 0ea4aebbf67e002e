"""The dashboard's static files (index.html, ES modules, CSS), served by `api.dashboard_routes`.

Package data only: no Python here, and no build step (see `vendor/README.md`).
"""
