"""Who may write: `Authorization: Bearer <token>`, compared in constant time with the configured tokens."""

from __future__ import annotations

import hmac

from flask import request

from api.context import app_state
from api.problems import Problem

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="bilateral"'}


def require_writer() -> str:
    """The name of the writer this request authenticates as, or a 401/403 Problem."""
    settings = app_state().settings
    if settings.read_only:
        raise Problem(
            403,
            "Read-only server",
            "This server has no write tokens configured, so it is read-only; "
            "the operator sets BILATERAL_TOKENS (name:secret,…) to allow writes.",
        )
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Problem(401, "Unauthorized", "Writes need 'Authorization: Bearer <token>'.", CHALLENGE)
    found = None
    for secret, name in settings.tokens.items():
        if hmac.compare_digest(secret.encode(), given.strip().encode()):
            found = name
    if found is None:
        raise Problem(403, "Forbidden", "The token is not one this server accepts.")
    return found
