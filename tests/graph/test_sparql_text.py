"""Reading SPARQL text: operations and groups found as a character-by-character reading finds them, keywords
in any case but not inside names, and caches that keep no more than two long texts."""

from __future__ import annotations

import random

from graph import sparql_text
from graph.sparql_names import query_dataset
from graph.sparql_text import blank_literals, group_end, keywords, operation_spans, recent_texts


def read_spans(update: str) -> list[tuple[int, int]]:
    """Operations split at semicolons outside groups, reading one character at a time."""
    blanked, spans, depth, start = blank_literals(update), [], 0, 0
    for position, char in enumerate(blanked):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == ";" and depth == 0:
            spans.append((start, position))
            start = position + 1
    spans.append((start, len(update)))
    return [(a, b) for a, b in spans if update[a:b].strip()]


def read_group_end(blanked: str, opening: int) -> int:
    depth, position = 0, opening
    while position < len(blanked):
        depth += {"{": 1, "}": -1}.get(blanked[position], 0)
        position += 1
        if depth == 0:
            break
    return position


def test_operations_and_groups_are_found_as_a_plain_reading_finds_them() -> None:
    generator, checked = random.Random(3), 0
    for _ in range(3000):
        text = "".join(generator.choice("ab {};'\"<>x\n#") for _ in range(generator.randint(0, 40)))
        assert operation_spans(text) == read_spans(text), text
        blanked = blank_literals(text)
        for opening in (i for i, char in enumerate(blanked) if char == "{"):
            assert group_end(blanked, opening) == read_group_end(blanked, opening), (blanked, opening)
            checked += 1
    assert checked > 1000


def test_keywords_match_in_any_case_outside_names_at_their_offsets() -> None:
    # İ lower-cases to two characters: a lower-cased copy by str.lower would shift every offset after it.
    update = "PREFIX x: <urn:x#> INSERT { x:İ x:where x:o } wHeRe { ?s ?where_not ?o . x:a x:b 'WHERE {' }"
    blanked = blank_literals(update)
    found = [match.start() for match in keywords(sparql_text._WHERE, blanked)]
    assert found == [update.index("wHeRe")]
    assert sparql_text.has_where(update) and not sparql_text.has_where("INSERT DATA { <urn:a> <urn:where> 'WHERE {' }")


def test_no_more_than_two_long_texts_are_kept() -> None:
    computed: list[str] = []

    @recent_texts
    def measured(text: str) -> int:
        computed.append(text[0])
        return len(text)

    long = [str(n) * (sparql_text.CACHED_TEXT + 1) for n in range(3)]
    for text in (long[0], long[1], long[0], long[2], long[0], long[1], "short", "short"):
        measured(text)
    assert computed == ["0", "1", "2", "1", "s"]  # 2 pushed out 1, the least recent; 1 then pushed out 2


def test_a_dataset_is_read_past_comments_and_without_spaces() -> None:
    spellings = [
        "SELECT * FROM <http://x/a> FROM NAMED <http://x/b> WHERE { ?s ?p ?o }",
        "SELECT * FROM<http://x/a>FROM NAMED<http://x/b>WHERE { ?s ?p ?o }",
        "# the graphs\nSELECT * FROM # first\n <http://x/a> FROM NAMED # second\n <http://x/b> { ?s ?p ?o }",
    ]
    for query in spellings:
        assert query_dataset(query) == (("http://x/a",), ("http://x/b",)), query


def test_an_iri_with_escapes_is_blanked_whole() -> None:
    text = "INSERT DATA { GRAPH <urn:x:g\\u0041#> { <urn:x:a> <urn:x:p> 1 } }"
    blanked = blank_literals(text)
    assert "#" not in blanked and blanked.count("{") == 2 and blanked.count("}") == 2
