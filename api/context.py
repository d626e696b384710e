"""What every request handler reaches: the settings and a way to the store, kept on the Flask app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from api.settings import Settings
from graph.store import Store
from graph.validation import Validator

StoreFactory = Callable[[float], Store]
"""Opens (or returns) the store, with a query time limit in seconds."""


@dataclass
class AppState:
    settings: Settings
    open_store: StoreFactory
    _validator: Validator | None = None

    def store(self, timeout: float | None = None) -> Store:
        return self.open_store(timeout or self.settings.timeout_s)

    def validator(self) -> Validator:
        """The shipped shapes, compiled once per worker."""
        if self._validator is None:
            self._validator = Validator()
        return self._validator


def app_state() -> AppState:
    state = current_app.extensions["bilateral"]
    assert isinstance(state, AppState)
    return state
