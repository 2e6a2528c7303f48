"""Error types and the reasons a record can be refused.

A refused record is data, not an exception to swallow: every refusal carries one of
these reasons so that `errors/<stage>/<reason>/` and the rejection counters agree.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a record was refused; the value is the `errors/` path segment."""

    MALFORMED_JSON = "malformed_json"
    INVALID_UTF8 = "invalid_utf8"
    NON_FINITE_NUMBER = "non_finite_number"
    NOT_AN_OBJECT = "not_an_object"
    TOO_LARGE = "too_large"
    TOO_DEEP = "too_deep"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    INVALID_VALUE = "invalid_value"
    NAIVE_TIMESTAMP = "naive_timestamp"
    WRONG_KIND = "wrong_kind"
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    PARTITION_MISMATCH = "partition_mismatch"
    BAD_ENCODING = "bad_encoding"
    RESPONSE_LIMIT = "response_limit"
    DELIVERY_FAILED = "delivery_failed"
    #: An unforeseen failure while handling one record (a bug): that record only is refused.
    UNPROCESSABLE = "unprocessable"


class ObservabilityError(Exception):
    """Base class: the CLI prints these as one line, the API maps them to 4xx."""


class RecordError(ObservabilityError):
    """A record that cannot be accepted, with the field and the problem named."""

    def __init__(self, reason: Reason, message: str, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class SettingsError(ObservabilityError):
    """A configuration value that cannot be used; the message names the variable."""


class StoreError(ObservabilityError):
    """A storage operation that failed after its retries."""


class Rejection:
    """A refused line: kept with its reason and its raw bytes, never dropped."""

    __slots__ = ("field", "index", "message", "raw", "reason")

    def __init__(
        self,
        reason: Reason,
        message: str,
        raw: bytes,
        index: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = reason
        self.message = message
        self.raw = raw
        self.index = index
        self.field = field

    @classmethod
    def from_error(cls, error: RecordError, raw: bytes, index: int | None = None) -> Rejection:
        """Wrap a RecordError raised while validating `raw`."""
        return cls(error.reason, str(error), raw, index, error.field)

    def __repr__(self) -> str:
        return f"Rejection({self.reason.value!r}, {self.message!r}, index={self.index})"
