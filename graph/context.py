"""What the store already knows about the nodes new data mentions: the context validation sees.

A submission may cite `id/person/lee-jae-myung` without restating him; validating it needs his types and
his office holdings from the store. The neighbourhood is extracted by CONSTRUCT for the mentioned IRIs only,
so its cost follows the size of the new data, not of the store.
"""

from __future__ import annotations

from rdflib import Graph, URIRef

from graph.namespaces import BL
from graph.store import Store

_BATCH = 400


def mentioned_iris(data: Graph) -> list[URIRef]:
    """The IRIs used as subject or object in `data`, sorted."""
    found = {t for s, _p, o in data for t in (s, o) if isinstance(t, URIRef)}
    return sorted(found)


def context_for(store: Store, data: Graph) -> Graph:
    """Stored triples about the IRIs `data` mentions, the types of what they point to, their office holdings
    and those holdings' offices."""
    context = Graph()
    iris = mentioned_iris(data)
    for start in range(0, len(iris), _BATCH):
        values = " ".join(iri.n3() for iri in iris[start : start + _BATCH])
        query = f"""
            CONSTRUCT {{ ?n ?p ?o . ?o a ?type . ?h ?hp ?ho . ?office ?op ?oo . ?oo a ?otype }}
            WHERE {{
              VALUES ?n {{ {values} }}
              {{ ?n ?p ?o OPTIONAL {{ ?o a ?type }} }}
              UNION {{ ?h <{BL.holder}> ?n ; ?hp ?ho }}
              UNION {{ ?h <{BL.holder}> ?n ; <{BL.office}> ?office . ?office ?op ?oo OPTIONAL {{ ?oo a ?otype }} }}
            }}"""
        context += store.construct(query)
    return context
