"""The TCP door's middleware stack, in api.md §1's order:
base-path strip → CORS → authentication → RBAC → routes.

The Unix socket serves the bare app (trusted by its file mode, I23).
"""

from __future__ import annotations

from starlette.types import ASGIApp

from husky.api.auth import Authenticator, AuthMiddleware, BasicAuth, BearerAuth
from husky.api.auth_rbac import rules_from_config
from husky.api.base_path import BasePathMiddleware
from husky.api.cors import CorsMiddleware
from husky.config.daemon import known_roles
from husky.config.daemon_models import DaemonConfig


def build_authenticator(config: DaemonConfig) -> Authenticator | None:
    """The authenticator `auth.type` asks for (None for `none`); raises ConfigError when
    its credentials cannot be used (e.g. a bad bearer token file)."""
    auth = config.auth
    if auth.type == "bearer":
        path = config.resolve_path(auth.bearer.token_file) if auth.bearer.token_file else None
        return BearerAuth(path, auth.bearer.token, known_roles(auth))
    if auth.type == "basic":
        return BasicAuth(auth.basic.users)
    return None


def guard_tcp(app: ASGIApp, config: DaemonConfig, authenticator: Authenticator | None) -> ASGIApp:
    """`app` wrapped for the TCP door."""
    if authenticator is not None:
        app = AuthMiddleware(app, authenticator, rules_from_config(config.auth.rbac))
    cors = config.api.cors
    if cors.allowed_origins:
        app = CorsMiddleware(app, cors.allowed_origins, allow_credentials=cors.allow_credentials)
    if config.api.base_path:
        app = BasePathMiddleware(app, config.api.base_path)
    return app
