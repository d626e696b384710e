"""Oxigraph's syntax errors in words a query writer can act on.

Oxigraph's parser (rust-peg) says what it expected at the furthest place it reached: the tokens, the
character classes of a name (`['A' ..= 'Z' | 'a' ..= 'z' | '\\u{00C0}'..='\\u{00D6}' …]`, several lines of
them) and, among them, the sentence of a rule that failed (`Prefix not found`, `The SELECT contains a
variable that is unbound`). `readable` keeps the place and the tokens, drops the character classes, and
puts a rule's sentence first in plain words. The commonest mistake, a prefix used and not declared, is found
in the text itself, at the name that uses it (the parser's place is past it, and its words are the rule's
name, "Prefix not found"), and told with the declaration to add. So is a relative IRI in a text parsed
without a base, which the parser reports as "expected OPTIONAL" or "expected NAMED" past it, and a bracket
left open or closed by another, where the parser lists what could go on (`FILTER(?o > 3 }` is "expected one
of PREDICATE, STRBEFORE, STRSTARTS, isLITERAL, isNUMERIC", past the end).
"""

from __future__ import annotations

import re

from graph.namespaces import INSTANCE_PREFIXES, PREFIXES
from graph.sparql_names import declarations
from graph.sparql_text import blank_literals, iris_in, line_and_column

_ENGINE_MESSAGE = re.compile(r"error at (\d+):(\d+): expected (?:one of )?(.*)\Z", re.DOTALL)
_ITEM = re.compile(r"\"(?:[^\"\\]|\\.)*\"|\[(?:'(?:[^'\\]|\\.)*'|[^\]'])*\]|[^,\[\"]+")
_PREFIXED = re.compile(r"(?<![\w$?.:-])((?:[^\W\d_](?:[\w.-]*[\w-])?)?):")
"""On text with its literals, IRIs and comments blanked: the prefix of a prefixed name (`_:` labels and
variables aside)."""
_BRACKETED = re.compile(r"<\s*[A-Za-z][\w+.-]*:[^<>\n]*>")
"""What is meant as an IRI, though not one (`<http://x y>`): not a prefixed name."""
_DECLARING = re.compile(r"(?<![\w:-])PREFIX\s*\Z", re.IGNORECASE)
_BRACKET = re.compile(r"[()\[\]{}]")
_CLOSING = {"(": ")", "[": "]", "{": "}"}
_SCHEME = re.compile(r"[A-Za-z][\w+.-]*:")
_KNOWN = {**PREFIXES, **INSTANCE_PREFIXES}

_RULES = {
    "Prefix not found": "a prefix used here is not declared; declare it before the query: PREFIX name: <IRI>",
    "The SELECT contains a variable that is unbound": (
        "the SELECT names a variable that is neither grouped (GROUP BY) nor aggregated (COUNT, SAMPLE, …)"
    ),
    "The SELECT overrides an existing variable using an expression": (
        "an expression of the SELECT is bound AS a variable the pattern binds already; name it otherwise"
    ),
    "SELECT * is not authorized with GROUP BY": (
        "SELECT * cannot be grouped: name the grouped variables and the aggregates (SELECT ?a (COUNT(?b) AS ?n))"
    ),
    "IRI parsing failed": 'this IRI is not valid (an IRI has no spaces, and no <>"{}|\\^` in it)',
}
"""The sentences of Oxigraph's rules, in plain words; a sentence not listed is shown as it is."""


def readable(message: str, text: str | None = None, *, without_base: bool = False) -> str:
    """An engine's syntax error in plain words, its place kept as `error at LINE:COLUMN:`; `text`, the query
    or update, lets a bracket left open or closed by another be named, and an undeclared prefix, and a
    relative IRI when it was parsed `without_base` (a store's query, where no endpoint's URL resolves it).
    A message in another shape is returned as it is.

    >>> print(readable("error at 1:30: expected one of Prefix not found, ['%'], [':']", "ASK { ?s dc:title ?o }"))
    error at 1:10: the prefix dc: is not declared; declare it before the query: PREFIX dc: <namespace IRI>
    >>> print(readable("error at 1:26: expected one of \\"(\\", \\"?\\", ['A' ..= 'Z']", "ASK { ?s ?p ?o } ORDER BY"))
    error at 1:26: the text ends before it is complete: expected one of "(", "?"
    >>> print(readable("error at 1:15: expected one of PREDICATE, STRSTARTS", "ASK { ?s ?p ?o"))
    error at 1:5: this { is never closed; add its }
    """
    found = _ENGINE_MESSAGE.match(message)
    if found is None:
        return message
    if text is not None and (named := _first_text_problem(text, without_base)) is not None:
        at, problem = named
        return f"error at {_place(text, at)}: {problem}"
    line, column = int(found.group(1)), int(found.group(2))
    items = [item.strip() for item in _ITEM.findall(found.group(3)) if item.strip()]
    rules = [_RULES.get(item, item[:1].lower() + item[1:]) for item in items if _is_sentence(item)]
    tokens = [item for item in items if not item.startswith("[") and not _is_sentence(item)]
    if rules:  # checked once the whole text has been read: the place is its end
        return f"error at {line}:{column}: {'; '.join(rules)}"
    reason = f"expected {'one of ' if len(tokens) > 1 else ''}{', '.join(tokens)}" if tokens else "not SPARQL here"
    if text is not None and _past_the_end(text, line, column):
        reason = f"the text ends before it is complete: {reason}"
    return f"error at {line}:{column}: {reason}"


def _first_text_problem(text: str, without_base: bool) -> tuple[int, str] | None:
    """Where the first problem found in the text itself is, and what it is: a bracket not closed or closed
    by the wrong one, a prefix it does not declare, or, parsed `without_base`, a relative IRI when it
    declares no BASE."""
    problems = [found] if (found := first_bracket_problem(text)) is not None else []
    if (undeclared := first_undeclared_prefix(text)) is not None:
        problems.append((undeclared[1], _undeclared(undeclared[0])))
    if without_base and (relative := first_relative_iri(text)) is not None:
        problems.append((relative[1], _relative(relative[0])))
    return min(problems, default=None)


def first_bracket_problem(text: str) -> tuple[int, str] | None:
    """Where the first bracket is that another closes wrongly or nothing closes, strings, IRIs and comments
    aside, and what is wrong.

    >>> first_bracket_problem("ASK { ?s ?p ?o FILTER(?o > ')' }")
    (31, 'this } comes before the ( at 1:22 is closed; close it with ) first')
    >>> first_bracket_problem("ASK { ?s ?p [ ?q ?o ] "), first_bracket_problem("ASK { ?s ?p ?o } }")
    ((4, 'this { is never closed; add its }'), (17, 'this } closes nothing; take it out'))
    """
    opened: list[int] = []
    blanked = blank_literals(text)
    for match in _BRACKET.finditer(blanked):
        at, bracket = match.start(), match.group()
        if bracket in _CLOSING:
            opened.append(at)
        elif not opened:
            return at, f"this {bracket} closes nothing; take it out"
        elif _CLOSING[blanked[opened[-1]]] != bracket:
            start = opened[-1]
            return at, (
                f"this {bracket} comes before the {blanked[start]} at {_place(text, start)} is closed; "
                f"close it with {_CLOSING[blanked[start]]} first"
            )
        else:
            opened.pop()
    if opened:
        return opened[-1], f"this {blanked[opened[-1]]} is never closed; add its {_CLOSING[blanked[opened[-1]]]}"
    return None


def _place(text: str, at: int) -> str:
    """`LINE:COLUMN` of an offset in a text."""
    return "{}:{}".format(*line_and_column(text, at))


def first_undeclared_prefix(text: str) -> tuple[str, int] | None:
    """The first prefix the text uses in a prefixed name without declaring it, and where.

    >>> first_undeclared_prefix("PREFIX bl: <x:>\\nSELECT ?s { ?s a bl:M ; :p 'a:b' ; <c:d> _:b1 }")
    ('', 40)
    >>> first_undeclared_prefix("PREFIX : <x:> ASK { ?s :p ?o } # dc:title")
    """
    declared = {match.group(1) for match in declarations(text) if match.group(1) is not None}
    blanked = _BRACKETED.sub(lambda m: " " * len(m.group(0)), blank_literals(text))
    for match in _PREFIXED.finditer(blanked):
        if match.group(1) not in declared and not _declaring(blanked, match.start()):
            return match.group(1), match.start()
    return None


def first_relative_iri(text: str) -> tuple[str, int] | None:
    """The first relative IRI the text writes (`<p>`, `<#g>`), and where, unless it declares a BASE.

    >>> first_relative_iri("ASK { ?s <urn:x:p> '<q>', <p> }"), first_relative_iri("BASE <x:> ASK { <p> ?p ?o }")
    (('p', 26), None)
    """
    if any(match.group(3) is not None for match in declarations(text)):
        return None
    return next(((iri, at) for iri, at in iris_in(text) if not _SCHEME.match(iri)), None)


def _declaring(blanked: str, at: int) -> bool:
    """Whether the prefixed name at `at` is the prefix of a PREFIX declaration (looked for just before it:
    a text of megabytes may hold a prefixed name every few bytes)."""
    return _DECLARING.search(blanked, max(0, at - 64), at) is not None


def _undeclared(prefix: str) -> str:
    namespace = _KNOWN.get(prefix)
    if namespace is None:
        return f"the prefix {prefix}: is not declared; declare it before the query: PREFIX {prefix}: <namespace IRI>"
    return f"the prefix {prefix}: is not declared; add PREFIX {prefix}: <{namespace}> before the query"


def _relative(iri: str) -> str:
    return (
        f"the IRI <{iri}> is relative, and nothing gives a base to resolve it against: write it whole "
        f"(<https://w3id.org/bilateral/id/country/KOR>), or declare BASE <…> before the query"
    )


def _is_sentence(item: str) -> bool:
    """A rule's sentence, rather than a token (quoted, or a keyword) or a character class."""
    return " " in item and not item.startswith(('"', "["))


def _past_the_end(text: str, line: int, column: int) -> bool:
    lines = text.split("\n")
    return line > len(lines) or (line == len(lines) and column > len(lines[-1].rstrip()))
