"""The download routes' answers gzip-compressed for clients that accept it: the exports, the Graph Store's
graphs and dumps, the ontology and the shapes, which run to megabytes (a GEXF of a million-triple store's
neighbourhood of one state: 17 MB) and compress some tenfold, as Fuseki and GraphDB send them. Compressed
as they stream, in bounded memory; small answers (under MIN_BYTES) go as they are.

`/sparql` answers are left uncompressed, as Oxigraph sends them: most are small, and they are answered by
the fast path (`api.fast_reads`), whose CPU per request is the server's budget.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator

from flask import Response, request

DOWNLOADS = re.compile(r"^/(export/.+|store(/.*)?|ontology|shapes)$")
MIN_BYTES = 16 * 1024
LEVEL = 6
"""zlib's default: a 17 MB GEXF in about 0.3 s, to a tenth of its size."""


def gzip_downloads(response: Response) -> Response:
    """An `after_request` hook: compress a download route's 200 answer to a GET or HEAD when the request
    accepts gzip, and say that the answer varies with Accept-Encoding."""
    if request.method not in ("GET", "HEAD") or not DOWNLOADS.match(request.path):
        return response
    response.vary.add("Accept-Encoding")
    if response.status_code != 200 or "Content-Encoding" in response.headers:
        return response
    if request.accept_encodings.best_match(["gzip", "identity"]) != "gzip":
        return response
    if response.content_length is not None and response.content_length < MIN_BYTES:
        return response
    response.response = _gzipped(response.iter_encoded())
    response.direct_passthrough = False
    response.headers["Content-Encoding"] = "gzip"
    for stale in ("Content-Length", "Accept-Ranges", "ETag", "Content-MD5"):  # they describe the plain bytes
        response.headers.pop(stale, None)
    return response


def _gzipped(chunks: Iterable[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # a gzip header and trailer
    for chunk in chunks:
        if compressed := compressor.compress(chunk):
            yield compressed
    yield compressor.flush()
