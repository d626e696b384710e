"""A synthetic bilateral-relations graph of a chosen size, shaped like the curated data and valid against the shapes.

It cites the ISO 3166-1 countries that `bilateral init` stores, so validating it exercises the context
extraction too. Per state: one head-of-state office, two successive holders with dated holdings. Per event:
a meeting between two states' leaders with participations, day precision, a CAMEO type, a dyad and a source.
One dispute per ten events. Everything is deterministic for a given size.

    python -m tests.bench.synthetic 100000 out.nt
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pycountry

BASE = "https://w3id.org/bilateral/"
BL = BASE + "ontology#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
XSD = "http://www.w3.org/2001/XMLSchema#"
CAMEO = BASE + "ontology/cameo/"
FIRST_DAY = date(2000, 1, 1)
DAYS = 9000
TERM_SPLIT = date(2012, 6, 30)


def iri(path: str) -> str:
    return f"<{BASE}{path}>"


def bl(name: str) -> str:
    return f"<{BL}{name}>"


def literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@en'


def day(value: date) -> str:
    return f'"{value.isoformat()}"^^<{XSD}date>'


def states() -> list[str]:
    return sorted(c.alpha_3 for c in pycountry.countries)


def _state_facts(code: str, source: str) -> Iterator[str]:
    office = iri(f"id/office/{code.lower()}-head-of-state")
    yield f"{office} {RDF_TYPE} {bl('Office')} ."
    yield f"{office} {LABEL} {literal(f'Head of state of {code}')} ."
    yield f"{office} {bl('officeOf')} {iri(f'id/country/{code}')} ."
    yield f"{office} {bl('officeRole')} {bl('HeadOfState')} ."
    for term, (start, end) in enumerate([(FIRST_DAY, TERM_SPLIT), (TERM_SPLIT + timedelta(days=1), None)]):
        person = iri(f"id/person/synthetic-{code.lower()}-{term}")
        holding = iri(f"id/holding/synthetic-{code.lower()}-{term}")
        yield f"{person} {RDF_TYPE} {bl('Person')} ."
        yield f"{person} {LABEL} {literal(f'Leader {term} of {code}')} ."
        yield f"{holding} {RDF_TYPE} {bl('OfficeHolding')} ."
        yield f"{holding} {bl('holder')} {person} ."
        yield f"{holding} {bl('office')} {office} ."
        yield f"{holding} {bl('startDate')} {day(start)} ."
        if end is not None:
            yield f"{holding} {bl('endDate')} {day(end)} ."
        yield f"{holding} {bl('source')} {source} ."


def _leader(code: str, when: date) -> str:
    return iri(f"id/person/synthetic-{code.lower()}-{0 if when <= TERM_SPLIT else 1}")


def _event_facts(n: int, a: str, b: str, when: date, source: str) -> Iterator[str]:
    event = iri(f"id/event/synthetic-{n}")
    dyad = iri(f"id/dyad/{a}-{b}")
    yield f"{event} {RDF_TYPE} {bl('Summit')} ."
    yield f"{event} {LABEL} {literal(f'Meeting {n} of {a} and {b}')} ."
    yield f"{event} {bl('eventType')} <{CAMEO}{'043' if n % 2 else '044'}> ."
    yield f"{event} {bl('date')} {day(when)} ."
    yield f"{event} {bl('earliest')} {day(when)} ."
    yield f"{event} {bl('latest')} {day(when)} ."
    yield f"{event} {bl('datePrecision')} {bl('DayPrecision')} ."
    yield f"{event} {bl('place')} {iri(f'id/country/{a}')} ."
    yield f"{event} {bl('dyad')} {dyad} ."
    yield f"{event} {bl('source')} {source} ."
    for side, role in ((a, "HostRole"), (b, "VisitorRole")):
        leader = _leader(side, when)
        part = iri(f"id/participation/synthetic-{n}-{side}")
        yield f"{event} {bl('participant')} {leader} ."
        yield f"{event} {bl('hasParticipation')} {part} ."
        yield f"{part} {RDF_TYPE} {bl('Participation')} ."
        yield f"{part} {bl('agent')} {leader} ."
        yield f"{part} {bl('role')} {bl(role)} ."
        yield f"{part} {bl('actsFor')} {iri(f'id/country/{side}')} ."


def _dispute_facts(n: int, a: str, b: str, source: str) -> Iterator[str]:
    dispute = iri(f"id/dispute/synthetic-{n}")
    topic = iri(f"id/topic/synthetic-issue-{n % 50}")
    yield f"{dispute} {RDF_TYPE} {bl('TradeDispute')} ."
    yield f"{dispute} {LABEL} {literal(f'Dispute {n} between {a} and {b}')} ."
    yield f"{dispute} {bl('party')} {iri(f'id/country/{a}')} ."
    yield f"{dispute} {bl('party')} {iri(f'id/country/{b}')} ."
    yield f"{dispute} {bl('issue')} {topic} ."
    yield f"{dispute} {bl('status')} {bl('Ongoing')} ."
    yield f"{dispute} {bl('dyad')} {iri(f'id/dyad/{a}-{b}')} ."
    yield f"{dispute} {bl('source')} {source} ."
    yield f"{topic} {RDF_TYPE} {bl('Topic')} ."
    yield f"{topic} {LABEL} {literal(f'Synthetic issue {n % 50}')} ."


def _source_facts(n: int) -> Iterator[str]:
    source = iri(f"id/source/synthetic-{n}")
    yield f"{source} {RDF_TYPE} {bl('NewsArticle')} ."
    yield f"{source} {LABEL} {literal(f'Synthetic article {n}')} ."
    yield f'{source} {bl("contentHash")} "{n:064x}" .'


def triples(size: int, seed: int = 1, countries: int | None = None) -> Iterator[str]:
    """About `size` N-Triples lines (stops at the first whole fact past it), among all ISO 3166-1 states or
    the first `countries` of them."""
    rng = random.Random(seed)
    codes = states()[:countries]
    emitted = 0
    seen_dyads: set[tuple[str, str]] = set()
    for line in _source_facts(0):
        emitted += 1
        yield line
    for code in codes:
        for line in _state_facts(code, iri("id/source/synthetic-0")):
            emitted += 1
            yield line
    n = 0
    while emitted < size:
        n += 1
        a, b = sorted(rng.sample(codes, 2))
        source = iri(f"id/source/synthetic-{n // 20}")
        facts: list[str] = []
        if n % 20 == 0:
            facts += _source_facts(n // 20)
        if (a, b) not in seen_dyads:
            seen_dyads.add((a, b))
            dyad = iri(f"id/dyad/{a}-{b}")
            facts += [
                f"{dyad} {RDF_TYPE} {bl('Dyad')} .",
                f"{dyad} {bl('side')} {iri(f'id/country/{a}')} .",
                f"{dyad} {bl('side')} {iri(f'id/country/{b}')} .",
            ]
        facts += _event_facts(n, a, b, FIRST_DAY + timedelta(days=rng.randrange(DAYS)), source)
        if n % 10 == 0:
            facts += _dispute_facts(n, a, b, source)
        emitted += len(facts)
        yield from facts


def write(size: int, path: Path, countries: int | None = None) -> int:
    """Write the graph as N-Triples; return the number of lines written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for line in triples(size, countries=countries):
            out.write(line + "\n")
            count += 1
    return count


if __name__ == "__main__":
    print(write(int(sys.argv[1]), Path(sys.argv[2])))
