"""Where the ontology, the shapes and the curated data live, in a checkout and in an installed wheel.

This is the only module that knows those paths. A wheel carries `ontology/` and `shapes/` under
`graph/_resources/`; a checkout (or an editable install) has them at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(name: str) -> Path:
    candidates = (_PACKAGE / "_resources" / name, _PACKAGE.parent / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"The {name}/ folder was not found (looked in {tried}); reinstall bilateral.")


def ontology_dir() -> Path:
    """The folder holding the ontology, its alignments and code lists (Turtle)."""
    return _first_existing("ontology")


def shapes_dir() -> Path:
    """The folder holding the SHACL shapes, one Turtle file per target class."""
    return _first_existing("shapes")


def data_dir() -> Path:
    """The curated facts shipped with the package (`graph/data/`)."""
    return _PACKAGE / "data"


def turtle_files(folder: Path) -> list[Path]:
    """The Turtle files of a folder, sorted by name so that loading order is stable."""
    return sorted(folder.glob("*.ttl"))
