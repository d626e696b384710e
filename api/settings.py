"""Server settings: read from the environment once, at the entry points, and passed down as one object.

BILATERAL_TOKENS        comma-separated name:secret pairs allowed to write (none: the server is read-only)
BILATERAL_CURATORS      comma-separated token names that may also retract submissions
BILATERAL_TOKENS_FILE   a file with one name:secret pair per line, read as well
BILATERAL_TIMEOUT_S     default and upper limit of a query's time, in seconds (30)
BILATERAL_MAX_BODY_MB   the largest request body accepted (16)
BILATERAL_ROW_LIMIT     the most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) an answer holds (100000; 0: none)
BILATERAL_REQUEST_TIME_S  how long a client may take to send a request, or to take any of its answer (20)
BILATERAL_ALLOW_DATASETS  comma-separated IRI prefixes a query may name as dataset, LOAD or SERVICE
                          beyond the store's own graphs (none)
BILATERAL_ENDPOINT_TOKEN  the bearer token sent to the SPARQL server behind --endpoint, for its writes (none)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    tokens: Mapping[str, str] = field(default_factory=dict)
    """secret -> the name recorded as submitter."""
    curators: frozenset[str] = frozenset()
    timeout_s: float = 30.0
    max_body_bytes: int = 16 * 1024 * 1024
    request_time_s: float = 20.0
    """How long a client may take to send a request (`api.http_worker`)."""
    row_limit: int = 100_000
    allow_datasets: tuple[str, ...] = ()
    endpoint_token: str | None = None
    """The bearer token sent to the engine behind `--endpoint`, for its writes."""

    @property
    def read_only(self) -> bool:
        return not self.tokens

    def allowed_outside(self, iri: str) -> bool:
        return any(iri.startswith(prefix) for prefix in self.allow_datasets)


def _pairs(text: str, origin: str) -> dict[str, str]:
    tokens = {}
    for item in (p.strip() for p in text.replace("\n", ",").split(",")):
        if not item or item.startswith("#"):
            continue
        name, sep, secret = item.partition(":")
        if not sep or not name.strip() or len(secret.strip()) < 8:
            raise ValueError(f"{origin}: {item.split(':')[0]!r} is not name:secret with a secret of 8+ characters.")
        tokens[secret.strip()] = name.strip()
    return tokens


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive number the environment gives under `name`, else `default`; ValueError naming it."""
    text = env.get(name)
    try:
        value = default if text is None else float(text)
    except ValueError:
        raise ValueError(f"{name} is a positive number, not {text!r}.") from None
    if not 0 < value < math.inf:  # not NaN or infinity either, which no clock or size reaches
        raise ValueError(f"{name} is a positive number, not {text!r}.")
    return value


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings the environment gives; raises ValueError naming a malformed variable."""
    env = os.environ if environ is None else environ
    tokens = _pairs(env.get("BILATERAL_TOKENS", ""), "BILATERAL_TOKENS")
    if env.get("BILATERAL_TOKENS_FILE"):
        path = Path(env["BILATERAL_TOKENS_FILE"])
        tokens |= _pairs(path.read_text(encoding="utf-8"), str(path))
    timeout = _positive(env, "BILATERAL_TIMEOUT_S", 30.0)
    body = int(_positive(env, "BILATERAL_MAX_BODY_MB", 16.0) * 1024 * 1024)
    request_time = _positive(env, "BILATERAL_REQUEST_TIME_S", 20.0)
    rows_text = env.get("BILATERAL_ROW_LIMIT", "100000")
    if not rows_text.strip().isdigit():
        raise ValueError(f"BILATERAL_ROW_LIMIT is a number of rows (0 for none), not {rows_text!r}.")
    rows = int(rows_text)
    curators = frozenset(n.strip() for n in env.get("BILATERAL_CURATORS", "").split(",") if n.strip())
    allow = tuple(p.strip() for p in env.get("BILATERAL_ALLOW_DATASETS", "").split(",") if p.strip())
    return Settings(
        tokens=tokens,
        curators=curators,
        timeout_s=timeout,
        max_body_bytes=body,
        request_time_s=request_time,
        allow_datasets=allow,
        row_limit=rows,
        endpoint_token=env.get("BILATERAL_ENDPOINT_TOKEN") or None,
    )
