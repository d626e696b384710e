"""bilateral's core library: the store, loading, validation and queries. It knows nothing of HTTP.

The curated surface is listed in `__all__`, each name imported from its module when first asked for
(`__getattr__`): importing one module of the package (`graph.bulk`, say) does not import them all, rdflib
and the validator among them. Everything else is reached through its module.
"""

import typing
from importlib import import_module as _import_module

if typing.TYPE_CHECKING:
    from graph.errors import (
        BilateralError,
        InputError,
        NotFound,
        ParseError,
        QuerySyntaxError,
        QueryTimeout,
        RefusedInput,
        StoreError,
        StoreMisconfigured,
        StoreUnavailable,
        UnsupportedFormat,
        ValidationFailed,
    )
    from graph.loading import init_store, load_files
    from graph.store import Solutions, Store, open_store
    from graph.validation import ValidationReport, ValidationResult, Validator

__all__ = [
    "BilateralError",
    "InputError",
    "NotFound",
    "ParseError",
    "QuerySyntaxError",
    "QueryTimeout",
    "RefusedInput",
    "Solutions",
    "Store",
    "StoreError",
    "StoreMisconfigured",
    "StoreUnavailable",
    "UnsupportedFormat",
    "ValidationFailed",
    "ValidationReport",
    "ValidationResult",
    "Validator",
    "init_store",
    "load_files",
    "open_store",
]
_MODULES = ("graph.errors", "graph.store", "graph.loading", "graph.validation")
"""Where the names of `__all__` live, in the order they are looked for."""


def __getattr__(name: str) -> object:
    if name in __all__:
        for module in _MODULES:
            if (found := getattr(_import_module(module), name, None)) is not None:
                return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
