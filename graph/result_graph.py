"""The rdflib store under the graphs `Store.construct` returns: a query's triples kept in one table, in the
order the engine gave them, and indexed by subject, predicate and object only when a lookup first needs it.

rdflib's own stores index every triple three ways as it is added (`SimpleMemory`: nine dictionary steps a
triple, `Memory` more), which cost as much as the query that produced the triples. Most graphs built from
a query are read whole (merged into another graph, subtracted from one, handed to a validator that copies
them, serialized); a graph that is searched pays for the indexes once, on its first search.

>>> from rdflib import Graph, URIRef
>>> a, p, b = URIRef("http://x/a"), URIRef("http://x/p"), URIRef("http://x/b")
>>> graph = Graph(store=ResultTriples([(a, p, b)]))
>>> len(graph), (a, p, b) in graph, list(graph.objects(a, p))
(1, True, [rdflib.term.URIRef('http://x/b')])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rdflib.plugins.stores.memory import SimpleMemory
from rdflib.term import Node

Triple = tuple[Node, Node, Node]
Index = dict[Node, dict[Triple, None]]


class ResultTriples(SimpleMemory):
    """A triple store of one graph, without contexts or formulas. Prefix bindings are `SimpleMemory`'s; its
    own indexes stay empty: every triple method is this class's."""

    def __init__(self, triples: Iterable[Triple] = ()) -> None:
        super().__init__()
        self._triples: dict[Triple, None] = dict.fromkeys(triples)
        self._indexes: tuple[Index, Index, Index] | None = None

    def __len__(self, context: Any = None) -> int:
        return len(self._triples)

    def add(self, triple: Triple, context: Any = None, quoted: bool = False) -> None:
        if triple in self._triples:
            return
        self._triples[triple] = None
        if self._indexes is not None:
            for position, index in enumerate(self._indexes):
                index.setdefault(triple[position], {})[triple] = None

    def addN(self, quads: Iterable[tuple[Node, Node, Node, Any]]) -> None:  # noqa: N802
        for subject, predicate, object_, _context in quads:
            self.add((subject, predicate, object_))

    def remove(self, triple_pattern: Any, context: Any = None) -> None:
        for triple in self._matching(triple_pattern):
            del self._triples[triple]
            if self._indexes is not None:
                for position, index in enumerate(self._indexes):
                    bucket = index[triple[position]]
                    del bucket[triple]
                    if not bucket:
                        del index[triple[position]]

    def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[tuple[Triple, Iterator[Any]]]:
        for triple in self._matching(triple_pattern):
            yield triple, iter(())

    def _matching(self, pattern: tuple[Node | None, Node | None, Node | None]) -> list[Triple]:
        """The triples that match a pattern (None for any term), as a list: a caller may add or remove
        triples while it goes through them."""
        subject, predicate, object_ = pattern
        if subject is not None and predicate is not None and object_ is not None:
            return [(subject, predicate, object_)] if (subject, predicate, object_) in self._triples else []
        if subject is None and predicate is None and object_ is None:
            return list(self._triples)
        by_subject, by_predicate, by_object = self._indexed()
        if subject is not None:
            candidates = by_subject.get(subject, {})
        elif object_ is not None:
            candidates = by_object.get(object_, {})
        else:
            candidates = by_predicate.get(predicate, {})  # type: ignore[arg-type]
        return [
            triple
            for triple in candidates
            if (predicate is None or triple[1] == predicate) and (object_ is None or triple[2] == object_)
        ]

    def _indexed(self) -> tuple[Index, Index, Index]:
        if self._indexes is None:
            indexes: tuple[Index, Index, Index] = ({}, {}, {})
            for triple in self._triples:
                for position, index in enumerate(indexes):
                    index.setdefault(triple[position], {})[triple] = None
            self._indexes = indexes
        return self._indexes
