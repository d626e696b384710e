"""bilateral's core library: the store, loading, validation and queries. It knows nothing of HTTP.

The curated surface is listed in `__all__`; everything else is reached through its module.
"""

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
