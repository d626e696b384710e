"""Reading a route's query parameters: whole numbers, and refusing the parameters it does not read."""

from __future__ import annotations

from flask import request

from api.problems import Problem


def only_parameters(*known: str) -> None:
    """Refuse a query parameter the route does not read: a misspelt filter (`countries=KOR`) would otherwise
    answer the whole network. Names starting with `_` (a client's cache-buster) pass."""
    unknown = sorted({name for name in request.args if name not in known and not name.startswith("_")})
    if unknown:
        raise Problem(
            400,
            "Bad request",
            f"Unknown parameter {', '.join(unknown)}: {request.path} reads {', '.join(known) or 'no parameter'}.",
        )


def whole_number(name: str, default: int) -> int:
    """A query parameter that is a whole number, or a 400 that names it."""
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise Problem(400, "Bad request", f"{name}={value!r} is not a whole number.") from None
