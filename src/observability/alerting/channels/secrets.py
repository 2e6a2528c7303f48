"""Where a channel's secret comes from, and how it stays out of logs and results.

A Slack webhook URL, a PagerDuty routing key or a webhook URL with a token in it is a
credential: alerts.yaml names where it lives (an environment variable, or an AWS Secrets
Manager ARN read with boto3), never the value. A resolved value is wrapped in `Secret`,
whose repr hides it, and is registered with a logging filter that redacts it from the
records of the HTTP and AWS libraries (httpx logs every request URL at INFO; botocore logs
response bodies, a secret's value included, at DEBUG).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qsl, urlsplit

import orjson
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

#: How long a resolved secret is reused before it is read again (rotation is picked up).
SECRET_TTL_SECONDS: Final = 300.0
REDACTED: Final = "[redacted]"
#: A URL part shorter than this is not treated as secret on its own ("/hook", "v2").
_MIN_PART_CHARS: Final = 8
#: Loggers whose records can carry a secret: request lines, connection traces, raw bodies.
_GUARDED_LOGGERS: Final = (
    "httpx",
    "httpcore.http11",
    "httpcore.connection",
    "botocore.parsers",
    "botocore.endpoint",
    "urllib3.connectionpool",
)
#: Markers of a Secrets Manager response body: logged by botocore before we hold the value.
_SECRET_BODY_MARKERS: Final = ("SecretString", "SecretBinary")
#: Secrets Manager and transport failures worth another try.
_RETRYABLE_AWS_CODES: Final = frozenset(
    {"ThrottlingException", "InternalServiceError", "RequestLimitExceeded", "ServiceUnavailable"}
)


class SecretUnavailable(Exception):  # noqa: N818 (a state, not a programming error)
    """A secret that cannot be read now; the message names where it lives, never a value."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def sensitive_parts(value: str) -> tuple[str, ...]:
    """The value and, for a URL, the parts an answer may echo without the rest (path and
    query, the last path segment, a password, long query values), longest first."""
    parts = {value}
    url = urlsplit(value)
    if url.scheme in {"http", "https"} and url.netloc:
        tail = url.path + (f"?{url.query}" if url.query else "")
        segments = [seg for seg in url.path.split("/") if seg]
        candidates = [tail, segments[-1] if segments else "", url.password or ""]
        candidates += [v for _, v in parse_qsl(url.query)]
        parts |= {c for c in candidates if len(c) >= _MIN_PART_CHARS}
    return tuple(sorted(parts, key=len, reverse=True))


class Secret:
    """A resolved secret: `reveal()` is the only way to the value; repr and str hide it."""

    __slots__ = ("_parts", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        self._parts = sensitive_parts(value)

    def reveal(self) -> str:
        """The value, for the one call that needs it (a request URL or body)."""
        return self._value

    def redact(self, text: str) -> str:
        """`text` with the value and its sensitive parts replaced."""
        for part in self._parts:
            text = text.replace(part, REDACTED)
        return text

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret lives: an environment variable, or a Secrets Manager secret by ARN.

    A secret stored as a JSON object is read at `json_key`; a plain string is the value.
    """

    env: str | None = None
    secret_arn: str | None = None
    json_key: str | None = None

    def describe(self) -> str:
        """Where the secret lives, for messages (a name, never the value)."""
        if self.env is not None:
            return f"environment variable {self.env}"
        key = f" (key {self.json_key})" if self.json_key else ""
        return f"secret {self.secret_arn}{key}"


class _RedactingFilter(logging.Filter):
    """Rewrites a log record that contains a registered secret or a secret's raw body."""

    def __init__(self) -> None:
        super().__init__("observability.alerting.secrets")
        self._secrets: tuple[Secret, ...] = ()
        self._lock = threading.Lock()

    def register(self, secret: Secret) -> None:
        with self._lock:
            if all(known.reveal() != secret.reveal() for known in self._secrets):
                self._secrets = (*self._secrets, secret)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to logging
            return True
        redacted = message
        for secret in self._secrets:
            redacted = secret.redact(redacted)
        if any(marker in redacted for marker in _SECRET_BODY_MARKERS):
            template = record.msg if isinstance(record.msg, str) else ""
            redacted = template.split("%", 1)[0] + REDACTED  # keep "Response body:" only
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


_FILTER: Final = _RedactingFilter()
_INSTALLED = threading.Event()
_INSTALL_LOCK = threading.Lock()


def guard_logs() -> None:
    """Install the redacting filter on the loggers that can see secrets (once per process)."""
    if _INSTALLED.is_set():
        return
    with _INSTALL_LOCK:
        if not _INSTALLED.is_set():
            for name in _GUARDED_LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
            _INSTALLED.set()


def protect(value: str) -> Secret:
    """Wrap a value and keep it out of every guarded log record from now on."""
    guard_logs()
    secret = Secret(value)
    _FILTER.register(secret)
    return secret


def redact(text: str, secret: Secret | None) -> str:
    """`text` with the secret's value and parts replaced (a response body in a detail)."""
    return text if secret is None else secret.redact(text)


class SecretReader:
    """Resolves `SecretRef`s from an environment mapping or Secrets Manager, with a TTL cache."""

    def __init__(
        self,
        environ: Mapping[str, str],
        secretsmanager: Callable[[], SecretsManagerClient],
        *,
        ttl_seconds: float = SECRET_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._environ = environ
        self._secretsmanager = secretsmanager
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[SecretRef, tuple[float, Secret]] = {}
        self._lock = threading.Lock()

    def read(self, ref: SecretRef) -> Secret:
        """The secret's value, wrapped; raises `SecretUnavailable` naming where it lives."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(ref)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        secret = protect(self._fetch(ref))
        with self._lock:
            self._cache[ref] = (now, secret)
        return secret

    def _fetch(self, ref: SecretRef) -> str:
        if ref.env is not None:
            value = self._environ.get(ref.env, "")
            if not value.strip():
                raise SecretUnavailable(f"{ref.describe()} is not set", retryable=False)
            return value.strip()
        if ref.secret_arn is None:  # parse_receiver guarantees one of the two
            raise SecretUnavailable("no secret configured", retryable=False)
        guard_logs()  # before the call: botocore logs the response body at DEBUG
        try:
            response = self._secretsmanager().get_secret_value(SecretId=ref.secret_arn)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "ClientError"))
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            retryable = code in _RETRYABLE_AWS_CODES or status >= 500 or status == 429
            raise SecretUnavailable(f"{ref.describe()}: {code}", retryable=retryable) from None
        except BotoCoreError as error:
            name = type(error).__name__
            raise SecretUnavailable(f"{ref.describe()}: {name}", retryable=True) from None
        return _value_of(ref, response.get("SecretString"), response.get("SecretBinary"))


def _value_of(ref: SecretRef, text: str | None, binary: bytes | None) -> str:
    """The secret's value from a GetSecretValue answer, honouring `json_key`."""
    if text is None and binary is not None:
        try:
            text = binary.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretUnavailable(f"{ref.describe()}: not UTF-8", retryable=False) from None
    if text is None:
        raise SecretUnavailable(f"{ref.describe()}: no value", retryable=False)
    if ref.json_key is None:
        value = text.strip()
    else:
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise SecretUnavailable(
                f"{ref.describe()}: not a JSON object", retryable=False
            ) from None
        field = document.get(ref.json_key) if isinstance(document, dict) else None
        if not isinstance(field, str):
            raise SecretUnavailable(
                f"{ref.describe()}: no string at key {ref.json_key}", retryable=False
            ) from None
        value = field.strip()
    if not value:
        raise SecretUnavailable(f"{ref.describe()}: empty value", retryable=False)
    return value
