"""The validation gate on SPARQL Update: the data an update inserts is checked, in context, before it runs.

`INSERT DATA` blocks are read with Oxigraph's TriG parser (their syntax is TriG's, with the update's own
prefixes), so the cost follows the size of the inserted data, parsed once, plus a context query per 400
IRIs it mentions; a violating update is refused with the same report as a submission and nothing runs.
Updates whose effect depends on the store (DELETE/INSERT … WHERE, ADD, COPY, MOVE) are not previewed:
their inserted triples are not known before the engine computes them.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from graph.errors import ValidationFailed
from graph.parsing import Staged, stage
from graph.sparql_text import blank_literals
from graph.store import Store
from graph.validation import Validator

_DATA_BLOCK = re.compile(r"\bINSERT\s+DATA\s*\{", re.IGNORECASE)
_DECLARATION = re.compile(r"(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)", re.IGNORECASE)
DEFAULT_TARGET = "urn:bilateral:update:default-graph"


def inserted_data(update: str, base_iri: str | None = None) -> Staged | None:
    """The quads of the update's INSERT DATA blocks, or None when it has none."""
    blanked = blank_literals(update)
    blocks = []
    for match in _DATA_BLOCK.finditer(blanked):
        depth, position = 1, match.end()
        while depth and position < len(blanked):
            depth += {"{": 1, "}": -1}.get(blanked[position], 0)
            position += 1
        blocks.append(update[match.end() : position - 1])
    if not blocks:
        return None
    declarations = "\n".join(  # found in the text, kept where they are not inside a literal or comment
        m.group(0)
        for m in _DECLARATION.finditer(update)
        if blanked[m.start() : m.start() + 4].upper() in ("PREF", "BASE")
    )
    trig = declarations + "\n" + "\n".join(blocks)
    return stage(
        trig.encode("utf-8"),
        ox.RdfFormat.TRIG,
        graph=DEFAULT_TARGET,
        source="the update's INSERT DATA",
        base_iri=base_iri,
    )


def check_update(store: Store, update: str, validator: Validator, base_iri: str | None = None) -> None:
    """Raise ValidationFailed when the data the update inserts violates the shapes in context; relative IRIs
    resolve against `base_iri` (the endpoint's URL), as the engine resolves them."""
    staged = inserted_data(update, base_iri)
    if staged is None or not len(staged):
        return
    report = validator.validate_staged(staged, store)
    if not report.conforms:
        raise ValidationFailed(report, source="the update")
