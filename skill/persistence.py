"""The preference store: the only things the skill ever remembers about a person.

Two delivery preferences are stored per user, and nothing else:

- ``heard_welcome`` (bool): the person has heard the full welcome and disclaimer once;
- ``voice`` (``"normal"`` or ``"whisper"``): how they like to be spoken to.

What a person says about their symptoms is never stored: every write goes through
:func:`sanitise`, which keeps only those two keys with valid values. Users are keyed by the
SHA-256 of their Alexa ``userId`` (:func:`user_key`), never by the raw id.

Two stores implement the ask-sdk ``AbstractPersistenceAdapter``:

- :class:`FileStore`: a small JSON file on this machine (the default; no account needed);
- :class:`DynamoStore`: a DynamoDB table (partition key ``id``), used when
  ``SKILL_TABLE_NAME`` is set. ``boto3`` is imported at its first use, not when this module is
  imported, so a cold start or a mid-session request that never touches the store does not pay
  for it. ``AWS_ENDPOINT_URL_DYNAMODB`` (honoured by boto3 itself) points it at a local server.

Both raise :class:`PersistenceError` (a subclass of the SDK's ``PersistenceException``) on any
failure, so the caller catches one type and carries on speaking with default preferences.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

if TYPE_CHECKING:
    from ask_sdk_model.request_envelope import RequestEnvelope

    from skill.settings import Settings


# CPython's built-in SHA-256 (the algorithm hashlib offers too) loads without OpenSSL, which
# hashlib initialises on import: about 4 ms of every cold start, for one hash per session.
try:
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # Python 3.11
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found, no-redef, unused-ignore]
    except ImportError:  # a Python built without them
        from hashlib import sha256 as _sha256  # type: ignore[assignment, unused-ignore]

log = logging.getLogger(__name__)

#: The only attribute names that are ever written.
PREFERENCE_KEYS: Final = frozenset({"heard_welcome", "voice"})
#: The allowed values of ``voice``.
VOICES: Final = frozenset({"normal", "whisper"})
#: The partition key of a request without a user id (local consoles, hand-made envelopes).
ANONYMOUS: Final = "anonymous"

#: DynamoDB: partition key name, the SDK's attribute map, and the top-level TTL attribute.
PARTITION_KEY: Final = "id"
ATTRIBUTES_NAME: Final = "attributes"
TTL_ATTRIBUTE: Final = "expires_at"
#: A preference record expires this long after it was last written (DynamoDB TTL).
DEFAULT_TTL_DAYS: Final = 400
#: Used when no AWS region is configured anywhere (env or ~/.aws/config).
DEFAULT_REGION: Final = "us-east-1"


class PersistenceError(PersistenceException):
    """The preference store could not be read or written (down, timed out, bad response)."""


# --------------------------------------------------------------------------------------------
# What may be stored, and under which key


def _as_bool(value: object) -> bool | None:
    """A bool, or a number that is exactly 0 or 1 (DynamoDB returns numbers as Decimal)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        with contextlib.suppress(ArithmeticError, ValueError):  # NaN, sNaN
            if value == 1:
                return True
            if value == 0:
                return False
    return None


def sanitise(attributes: Mapping[str, object] | None) -> dict[str, object]:
    """Keep only the preference keys, with valid values; drop everything else.

    ``heard_welcome`` must be a bool (or a number equal to 0 or 1, as DynamoDB may return);
    ``voice`` must be one of :data:`VOICES` (case and surrounding space are forgiven).
    """
    clean: dict[str, object] = {}
    if not isinstance(attributes, Mapping):
        return clean
    heard = _as_bool(attributes.get("heard_welcome"))
    if heard is not None:
        clean["heard_welcome"] = heard
    voice = attributes.get("voice")
    if isinstance(voice, str) and voice.strip().lower() in VOICES:
        clean["voice"] = voice.strip().lower()
    return clean


def _field(obj: object, attribute: str, json_key: str) -> object:
    """``obj.attribute`` for SDK model objects, ``obj[json_key]`` for raw JSON envelopes."""
    if isinstance(obj, Mapping):
        return obj.get(json_key)
    return getattr(obj, attribute, None)


def user_key(request_envelope: RequestEnvelope | Mapping[str, Any] | None) -> str:
    """The partition key for a request: SHA-256 hex of the Alexa userId, never the raw id.

    Returns :data:`ANONYMOUS` when the envelope carries no user id.
    """
    node: object = request_envelope
    for attribute, json_key in (
        ("context", "context"),
        ("system", "System"),
        ("user", "user"),
        ("user_id", "userId"),
    ):
        node = _field(node, attribute, json_key)
        if node is None:
            return ANONYMOUS
    if not isinstance(node, str) or not node:
        return ANONYMOUS
    digest: str = _sha256(node.encode("utf-8")).hexdigest()
    return digest


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------------------------
# The embedded store: a JSON file on this machine


class FileStore(AbstractPersistenceAdapter):
    """Preferences in one JSON file: ``{key: {"heard_welcome", "voice", "updated": iso}}``.

    Thread-safe within a process (one lock around each read-modify-write); every write goes
    to a temporary file in the same directory that then replaces the old one, so a reader
    never sees half a file. A missing, unreadable or corrupt file reads as empty (and is
    logged); a failed write raises :class:`PersistenceError`.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, object]:
        key = user_key(request_envelope)
        with self._lock:
            record = self._read().get(key)
        return sanitise(record) if isinstance(record, Mapping) else {}

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, object]
    ) -> None:
        key = user_key(request_envelope)
        record = sanitise(attributes)
        record["updated"] = _now_iso()
        with self._lock:
            data = self._read()
            data[key] = record
            self._write(data)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        key = user_key(request_envelope)
        with self._lock:
            data = self._read()
            if data.pop(key, None) is not None:
                self._write(data)

    def _read(self) -> dict[str, dict[str, object]]:
        """Every well-formed record in the file (``{}`` if it is missing or unusable)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            log.warning(
                "Preference file %s is unreadable (%s); using defaults.",
                self.path,
                type(exc).__name__,
            )
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("Preference file %s is corrupt; using defaults.", self.path)
            return {}
        if not isinstance(data, dict):
            log.warning("Preference file %s is not a JSON object; using defaults.", self.path)
            return {}
        records: dict[str, dict[str, object]] = {}
        for key, value in data.items():
            if isinstance(value, Mapping):
                record = sanitise(value)
                if isinstance(value.get("updated"), str):
                    record["updated"] = value["updated"]
                records[key] = record
        return records

    def _write(self, data: Mapping[str, Mapping[str, object]]) -> None:
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            import tempfile  # only on a write: it imports random, shutil and friends

            fd, temp_name = tempfile.mkstemp(
                dir=directory, prefix=f".{self.path.name}.", suffix=".tmp"
            )  # created 0600: only this user can read it
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, indent=1, sort_keys=True)
                    handle.write("\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temp_name, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp_name)
                raise
        except OSError as exc:
            raise PersistenceError(
                f"Could not write the preference file {self.path}: {exc.strerror or exc}"
            ) from exc


# --------------------------------------------------------------------------------------------
# DynamoDB, through the ask-sdk adapter; boto3 is imported at first use


_import_lock = threading.Lock()


@contextlib.contextmanager
def _default_region_while(region: str, needed: bool) -> Iterator[None]:
    """Set AWS_DEFAULT_REGION for the duration of the block, then put things back.

    ``ask_sdk_dynamodb.adapter`` builds ``boto3.resource("dynamodb")`` as a default argument
    when it is imported, which fails when no region is configured; this lets that import
    succeed without leaving the process's environment changed.
    """
    if not needed or "AWS_DEFAULT_REGION" in os.environ:
        yield
        return
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        yield
    finally:
        os.environ.pop("AWS_DEFAULT_REGION", None)


def _resolve_region() -> tuple[str, bool]:
    """(region, whether botocore finds one by itself).

    botocore reads AWS_DEFAULT_REGION and ~/.aws/config; AWS_REGION (which Lambda also sets)
    is honoured next; failing both, :data:`DEFAULT_REGION`.
    """
    import boto3  # lazy on purpose: ~250 ms of cold start

    region = boto3.session.Session().region_name
    if region:
        return str(region), True
    return os.environ.get("AWS_REGION") or DEFAULT_REGION, False


def _ttl_adapter_class(region: str, botocore_has_region: bool) -> type[Any]:
    """The SDK's DynamoDbAdapter, with a save that also writes the TTL attribute."""
    with _import_lock, _default_region_while(region, needed=not botocore_has_region):
        sdk_adapter: Any = importlib.import_module("ask_sdk_dynamodb.adapter").DynamoDbAdapter

    class TtlDynamoDbAdapter(sdk_adapter):  # type: ignore[misc]
        """Writes ``expires_at`` (epoch seconds) at the top level of each item, for TTL."""

        def __init__(self, *, ttl_seconds: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.ttl_seconds = ttl_seconds

        def save_attributes(
            self, request_envelope: RequestEnvelope, attributes: dict[str, object]
        ) -> None:
            try:
                self.dynamodb.Table(self.table_name).put_item(
                    Item={
                        self.partition_key_name: self.partition_keygen(request_envelope),
                        self.attribute_name: attributes,
                        TTL_ATTRIBUTE: int(time.time()) + self.ttl_seconds,
                    }
                )
            except Exception as exc:
                raise PersistenceException(
                    f"Failed to save attributes to DynamoDb table. Exception of type "
                    f"{type(exc).__name__} occurred: {exc}"
                ) from exc

    return TtlDynamoDbAdapter


class DynamoStore(AbstractPersistenceAdapter):
    """Preferences in a DynamoDB table (partition key ``id`` = :func:`user_key`).

    Each item is ``{"id": <sha256>, "attributes": {preferences}, "expires_at": <epoch s>}``.
    Nothing touches boto3 until the first get/save/delete. Timeouts are tight because a
    person is waiting for Alexa to answer: an attempt gives up after ``connect_timeout`` to
    connect and ``read_timeout`` per read, and a call makes at most ``max_attempts`` attempts
    in total (the first one included) with botocore's DynamoDB backoff of 50 ms between them,
    so a get against a hanging store fails after about ``max_attempts * read_timeout + 0.05``
    seconds (0.85 s with the defaults).

    botocore's "legacy" retry mode is used on purpose: its DynamoDB policy waits 50 ms before
    the retry in every botocore version, while "standard" mode waits ``random() * 1 s`` in the
    botocore releases that the Lambda runtime may ship (only recent ones use a 25 ms base for
    DynamoDB), which could push the worst case towards two seconds.
    """

    def __init__(
        self,
        table_name: str,
        *,
        connect_timeout: float = 0.3,
        read_timeout: float = 0.4,
        max_attempts: int = 2,
        ttl_days: int = DEFAULT_TTL_DAYS,
        region_name: str | None = None,
    ) -> None:
        if not table_name:
            raise ValueError("table_name is required")
        if max_attempts < 1:
            raise ValueError("max_attempts counts the first attempt, so it must be at least 1")
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("timeouts must be positive")
        self.table_name = table_name
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self.ttl_seconds = ttl_days * 24 * 60 * 60
        self.region_name = region_name  # resolved at first use when None
        self._adapter: Any = None
        self._lock = threading.Lock()

    def _sdk_adapter(self) -> Any:
        adapter = self._adapter
        if adapter is not None:
            return adapter
        with self._lock:
            if self._adapter is None:
                try:
                    self._adapter = self._build_adapter()
                except Exception as exc:
                    raise PersistenceError(
                        f"Could not set up the DynamoDB preference store: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
            return self._adapter

    def _build_adapter(self) -> Any:
        import boto3
        from botocore.config import Config

        region, botocore_has_region = _resolve_region()
        region = self.region_name or region
        adapter_class = _ttl_adapter_class(region, botocore_has_region)
        config = Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"total_max_attempts": self.max_attempts, "mode": "legacy"},
        )
        # boto3.resource() (the default session) shares its loaded service model with the
        # resource that ask_sdk_dynamodb built on import; the endpoint comes from boto3's own
        # configuration (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, config file).
        resource = boto3.resource("dynamodb", region_name=region, config=config)
        self.region_name = region
        return adapter_class(
            table_name=self.table_name,
            partition_key_name=PARTITION_KEY,
            attribute_name=ATTRIBUTES_NAME,
            create_table=False,
            partition_keygen=user_key,
            dynamodb_resource=resource,
            ttl_seconds=self.ttl_seconds,
        )

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, object]:
        adapter = self._sdk_adapter()
        try:
            stored = adapter.get_attributes(request_envelope)
        except Exception as exc:
            raise PersistenceError(f"Could not read preferences: {exc}") from exc
        return sanitise(stored) if isinstance(stored, Mapping) else {}

    def save_attributes(
        self, request_envelope: RequestEnvelope, attributes: dict[str, object]
    ) -> None:
        adapter = self._sdk_adapter()
        try:
            adapter.save_attributes(request_envelope, sanitise(attributes))
        except Exception as exc:
            raise PersistenceError(f"Could not save preferences: {exc}") from exc

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        adapter = self._sdk_adapter()
        try:
            adapter.delete_attributes(request_envelope)
        except Exception as exc:
            raise PersistenceError(f"Could not delete preferences: {exc}") from exc


def build_store(settings: Settings) -> AbstractPersistenceAdapter:
    """DynamoDB when ``settings.table_name`` is set, else the embedded file store."""
    if settings.table_name:
        return DynamoStore(settings.table_name)
    return FileStore(settings.store_path)
