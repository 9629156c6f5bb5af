"""Hooks: how a lower app lets a higher one act without importing it.

The lower app defines a `Hook` for something that happens ("an appointment was
booked") and calls it at that point, inside its own transaction; a higher app connects
a listener in its AppConfig.ready(). Listeners run in the order they connected (the
order of INSTALLED_APPS), synchronously, and an exception in one rolls back the
caller's transaction like any other: a booking and its messages commit together or not
at all. Unlike Django's signals, a hook has one documented set of keyword arguments,
holds its listeners strongly and returns what they return.

docs/architecture.md lists the hooks of each app.
"""

from collections.abc import Callable
from typing import Any


class Hook:
    def __init__(self, name: str, arguments: str):
        self.name = name
        self.arguments = arguments
        self._listeners: list[Callable[..., Any]] = []

    def __repr__(self) -> str:
        return f"<Hook {self.name}({self.arguments})>"

    def connect(self, listener: Callable[..., Any]) -> Callable[..., Any]:
        """Add a listener (once, however often ready() runs); usable as a decorator."""
        if listener not in self._listeners:
            self._listeners.append(listener)
        return listener

    def disconnect(self, listener: Callable[..., Any]) -> None:
        self._listeners.remove(listener)

    def __call__(self, **arguments) -> list[Any]:
        """Call every listener with these keyword arguments; their results, in order."""
        return [listener(**arguments) for listener in self._listeners]
