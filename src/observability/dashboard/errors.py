"""What the read side refuses: a name that is not there (404) or a parameter it cannot use (400).

`service/errors.py` maps each class to its status; the message is the problem's detail,
so it names the thing asked for and, where it helps, what exists instead.
"""

from __future__ import annotations

from observability.core.errors import ObservabilityError


class NotFoundError(ObservabilityError):
    """The model, report, feature, query or job named has nothing stored (HTTP 404)."""


class BadParameterError(ObservabilityError):
    """A parameter that parsed but cannot be used: a bad cursor, a report of another model."""
