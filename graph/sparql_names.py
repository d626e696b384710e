"""The names in SPARQL text and what they resolve to: its PREFIX and BASE declarations, the graph IRIs its
names stand for as Oxigraph resolves them (RFC 3986, for any scheme), and the dataset of a query's own FROM
and FROM NAMED clauses.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from graph.sparql_text import blank_literals, keywords, recent_texts, without_comments

_FROM = re.compile(r"from(?![\w:-])")  # for `keywords`
_GRAPH_NAME = re.compile(r"\s*(NAMED(?![\w:-]))?\s*(?:<([^<>\s]*)>|([A-Za-z][\w.-]*)?:([\w.:%-]*))", re.IGNORECASE)
_DECLARATION = re.compile(r"PREFIX\s+([^\s:]*):\s*<([^>]*)>|BASE\s*<([^>]*)>", re.IGNORECASE)


def declarations(text: str) -> list[re.Match[str]]:
    """The PREFIX and BASE declarations of a query or update (groups 1 and 2: a prefix and its IRI; group 3:
    a base IRI), read where their keyword is not inside a literal or a comment.

    >>> [m.group(0) for m in declarations("PREFIX a: <http://a/> # PREFIX b: <http://b/>\\nBASE <http://c/>")]
    ['PREFIX a: <http://a/>', 'BASE <http://c/>']
    """
    blanked = blank_literals(text)
    return [m for m in _DECLARATION.finditer(text) if not blanked[m.start()].isspace()]


def prologue_of(text: str) -> str:
    """The PREFIX and BASE declarations of a query or update, one a line."""
    return "\n".join(m.group(0) for m in declarations(text))


def head_of(prologue: str, base_iri: str | None) -> str:
    """What resolves the names of a query or update (`graph_iris`): the endpoint's URL as BASE (when given),
    then the text's own declarations (`prologue_of`)."""
    return (f"BASE <{base_iri}>\n" if base_iri else "") + prologue + "\n"


def graph_iris(names: list[str], head: str) -> tuple[str, ...]:
    """Graph names as a query or update writes them (IRIs, relative IRIs, prefixed names), resolved by
    Oxigraph under `head` (BASE and PREFIX declarations) as the engine resolves them, for any scheme (urljoin
    leaves `<b>` against `urn:x:a` as it is); none if they do not parse, since the engine refuses them too."""
    if not names:
        return ()
    try:
        solutions = ox.Store().query(f"{head}\nSELECT ?g WHERE {{ VALUES ?g {{ {' '.join(names)} }} }}")
    except SyntaxError:
        return ()
    assert isinstance(solutions, ox.QuerySolutions)
    return tuple(dict.fromkeys(row[0].value for row in solutions if isinstance(row[0], ox.NamedNode)))


@recent_texts
def query_dataset(query: str, base_iri: str | None = None) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The graphs a query's own FROM and FROM NAMED clauses name, as (default, named) IRIs, prefixed names
    and relative IRIs resolved (`graph_iris`); None when it has no such clause. Names that cannot be
    resolved are left out: the engine refuses that query anyway.

    >>> query_dataset("PREFIX g: <http://x/> SELECT ?from FROM g:a FROM NAMED <b> { ?s ?p ?o }", "http://x/")
    (('http://x/a',), ('http://x/b',))
    >>> query_dataset("BASE <urn:x:a> SELECT * FROM <#g> { ?s ?p ?o }")
    (('urn:x:a#g',), ())
    >>> query_dataset("SELECT * { ?s <http://x/FROM> 'FROM' }") is None
    True
    """
    clauses = list(keywords(_FROM, blank_literals(query)))
    if not clauses:
        return None
    query = without_comments(query) if "#" in query else query  # `FROM # …` then the name, on the next line
    head = head_of(prologue_of(query), base_iri)
    names: tuple[list[str], list[str]] = ([], [])
    for clause in clauses:
        if name := _GRAPH_NAME.match(query, clause.end()):
            written = f"<{name.group(2)}>" if name.group(2) is not None else f"{name.group(3) or ''}:{name.group(4)}"
            names[bool(name.group(1))].append(written)
    return graph_iris(names[0], head), graph_iris(names[1], head)
