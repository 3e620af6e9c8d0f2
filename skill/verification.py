"""Checks that a request really comes from Alexa, for the self-hosted web entry.

Amazon's rules for a custom skill hosted as a web service ("Host a Custom Skill as a Web
Service: verify that the request was sent by Alexa"):

1. The ``SignatureCertChainUrl`` header names the signing certificate chain. After
   normalising ``.`` and ``..`` segments, the URL must use ``https`` (any case), the host
   ``s3.amazonaws.com`` (any case), a path starting with ``/echo.api/`` (case-sensitive), and
   port 443 if a port is given.
2. The chain must lead to a trusted root CA; the signing (leaf) certificate must be within its
   validity dates and name ``echo-api.amazon.com`` in its Subject Alternative Names. Beyond
   Amazon's rules, its key must be RSA of 2048 to 8192 bits with a public exponent of at
   least 65537, as every web-PKI signing key is.
3. The ``Signature-256`` header is a base64 RSA (PKCS #1 v1.5) SHA-256 signature of the raw
   request body, checked with the leaf's public key.
4. ``request.timestamp`` must be within 150 seconds of now.

Contract 6 adds: when ``SKILL_ID`` is set, requests for any other skill are refused.

The chain is the one thing fetched on an unauthenticated request's behalf, so fetching is
bounded: one ``requests`` session (connections to S3 reused), an overall deadline per fetch
(not only per read), one fetch per URL at a time however many requests want it, a few fetches
at once in all, and a short memory of URLs that failed. See :class:`AlexaSignatureVerifier`.

The SDK's own verifier depends on ``certvalidator``/``oscrypto``, which cannot load on current
OpenSSL (see :mod:`skill.sdk_compat`); these verifiers use ``cryptography``'s X.509 path
validation (``cryptography.x509.verification``) instead. They plug into the SDK as
``AbstractVerifier`` subclasses and raise the SDK's ``VerificationException``; messages are
short and never contain the request body or any identifier.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import http.cookiejar
import logging
import posixpath
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.exceptions
from cachetools import TLRUCache, TTLCache
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as ChainVerificationError

from skill.sdk_compat import AbstractVerifier, VerificationException

logger = logging.getLogger(__name__)

CERT_CHAIN_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
CERT_URL_SCHEME = "https"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PORT = 443
CERT_URL_PATH_PREFIX = "/echo.api/"
ALEXA_SIGNING_DOMAIN = "echo-api.amazon.com"
MAX_TIMESTAMP_TOLERANCE_SECONDS = 150
MIN_RSA_KEY_BITS = 2048  # what the CA/Browser Forum requires; Amazon's signing key is 2048
MAX_RSA_KEY_BITS = 8192  # beyond any real certificate; verifying costs grow with the size
MIN_RSA_PUBLIC_EXPONENT = 65537  # the CA/Browser Forum's lower bound; Amazon's is 65537

FETCH_CONNECT_TIMEOUT_SECONDS = 1.0
FETCH_READ_TIMEOUT_SECONDS = 2.0  # for each read; FETCH_DEADLINE_SECONDS bounds the whole fetch
FETCH_DEADLINE_SECONDS = 3.0  # connect, TLS, headers and body; Alexa waits 8 s in all
MAX_CONCURRENT_FETCHES = 2  # at once, per verifier; more new URLs are refused, not queued
MAX_CHAIN_BYTES = 64 * 1024  # Amazon's chain file is about 5 KB
MAX_CHAIN_CERTIFICATES = 8
DEFAULT_CACHE_SIZE = 8  # Alexa uses one chain URL at a time; a handful covers a rollover
FAILED_URL_SECONDS = 30.0  # a URL whose chain failed is refused without a fetch this long
FAILED_URL_CACHE_SIZE = 64


class Headers(Protocol):
    """Request headers: a plain dict or Werkzeug's ``Headers`` (case-insensitive, multi)."""

    def items(self) -> Iterable[tuple[str, Any]]: ...


Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime."""

CertChainFetcher = Callable[[str], bytes]
"""Fetches the PEM certificate chain at an already normalised, validated URL."""

_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.DOTALL
)


class VerificationError(VerificationException):
    """A request failed verification. The message is short and safe to log and return."""


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --- 1. the certificate chain URL -------------------------------------------------------------


def normalise_cert_url(url: str) -> str:
    """Validate a ``SignatureCertChainUrl`` value and return the URL to fetch.

    Accepts what Amazon's rules accept (``HTTPS://S3.AmazonAWS.com:443/echo.api/x.pem``,
    ``https://s3.amazonaws.com/echo.api/../echo.api/x.pem``) and returns the canonical form
    (``https://s3.amazonaws.com/echo.api/x.pem``), which is also the cache key. Beyond Amazon's
    rules it refuses, as no genuine URL has them: user info, a query, a fragment, backslashes,
    percent-escapes and control characters. Raises :class:`VerificationError` otherwise.
    """
    if (
        not url
        or len(url) > 2048
        or not url.isprintable()
        or any(ch.isspace() or ch in "\\%?#" for ch in url)
    ):
        raise VerificationError("certificate URL is not valid")
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError for a port that is not a number in range
    except ValueError:
        raise VerificationError("certificate URL is not valid") from None
    if parts.scheme.lower() != CERT_URL_SCHEME:
        raise VerificationError("certificate URL must use https")
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise VerificationError("certificate URL host is not s3.amazonaws.com")
    if port is not None and port != CERT_URL_PORT:
        raise VerificationError("certificate URL port is not 443")
    if parts.username is not None or parts.password is not None:
        raise VerificationError("certificate URL is not valid")
    # posixpath.normpath resolves "." and ".." (never above "/") but also drops a trailing
    # slash, so "/echo.api/" and "/echo.api/x/.." become "/echo.api": not a file, refused.
    # It keeps a leading "//", which then fails the prefix test, as it should.
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_URL_PATH_PREFIX) or path == CERT_URL_PATH_PREFIX:
        raise VerificationError("certificate URL path is not under /echo.api/")
    return f"{CERT_URL_SCHEME}://{CERT_URL_HOST}{path}"


# --- 2. fetching, trusting and validating the chain -----------------------------------------


class _Deadline:
    """One fetch's deadline: the connections it uses are shut down when it passes.

    A read timeout only bounds each read: a server (or anything in the path) sending a byte
    a second never trips it. So a timer shuts the sockets down at the deadline, which ends
    any read or TLS handshake blocked on them at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[urllib3.connection.HTTPConnection] = []
        self.passed = False

    def track(self, connection: urllib3.connection.HTTPConnection) -> None:
        with self._lock:
            if connection not in self._connections:
                self._connections.append(connection)
            passed = self.passed
        if passed:
            _shut_down(connection)

    def expire(self) -> None:
        with self._lock:
            self.passed = True
            connections = list(self._connections)
        for connection in connections:
            _shut_down(connection)


def _shut_down(connection: urllib3.connection.HTTPConnection) -> None:
    sock = connection.sock
    if sock is None:
        return
    # socket.socket's own shutdown, also for an SSLSocket: the TLS layer, maybe in use by the
    # fetching thread, is left alone; its blocked read just ends. (Already closed: no matter.)
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_fetching = threading.local()  # .deadline: the _Deadline of this thread's fetch, if any


def _track(connection: urllib3.connection.HTTPConnection) -> None:
    deadline: _Deadline | None = getattr(_fetching, "deadline", None)
    if deadline is not None:
        deadline.track(connection)


class _TrackedHTTPConnection(urllib3.connection.HTTPConnection):
    """A connection that puts itself under the deadline of the fetch using it."""

    def connect(self) -> None:
        _track(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self)  # also when the connection is reused from the pool
        super().request(*args, **kwargs)


class _TrackedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _track(self)  # before the TLS handshake, so that it is under the deadline too
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _track(self)
        super().request(*args, **kwargs)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


_POOL_CLASSES: dict[str, type[urllib3.HTTPConnectionPool]] = {
    "http": _HTTPPool,
    "https": _HTTPSPool,
}


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, with connections that a fetch's deadline can shut down."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOL_CLASSES
        return manager


_FETCH_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


class HttpsChainFetcher:
    """Fetches certificate chains over HTTPS within an overall deadline.

    One ``requests`` session, so the TLS connection to S3 is reused from fetch to fetch;
    no redirects, no cookies, no compression, at most MAX_CHAIN_BYTES. Each fetch (connect,
    TLS handshake, headers and body) ends by ``deadline_seconds``: see :class:`_Deadline`.
    Only a DNS lookup cannot be cut short; the verifier stops waiting at the deadline all the
    same. TLS to S3 is verified by ``requests`` (certifi's roots). Safe to call from several
    threads. Raises :class:`VerificationError` on any failure.
    """

    def __init__(
        self,
        *,
        deadline_seconds: float = FETCH_DEADLINE_SECONDS,
        connect_timeout_seconds: float = FETCH_CONNECT_TIMEOUT_SECONDS,
        read_timeout_seconds: float = FETCH_READ_TIMEOUT_SECONDS,
    ) -> None:
        self._deadline_seconds = deadline_seconds
        self._timeout = (
            min(connect_timeout_seconds, deadline_seconds),
            min(read_timeout_seconds, deadline_seconds),
        )
        session = requests.Session()
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        session.headers["Accept-Encoding"] = "identity"
        adapter = _DeadlineAdapter(pool_maxsize=MAX_CONCURRENT_FETCHES, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)  # only ever a test server: real chain URLs are https
        self._session = session

    def __call__(self, url: str) -> bytes:
        """The chain at ``url``, which must come from :func:`normalise_cert_url`."""
        deadline = _Deadline()
        timer = threading.Timer(self._deadline_seconds, deadline.expire)
        timer.daemon = True
        _fetching.deadline = deadline
        timer.start()
        try:
            body = self._get(url, deadline)
        except _FETCH_ERRORS:
            raise VerificationError("certificate chain could not be fetched") from None
        finally:
            timer.cancel()
            _fetching.deadline = None
        if deadline.passed:  # a shut-down socket can look like the end of a short body
            raise VerificationError("certificate chain could not be fetched")
        return body

    def _get(self, url: str, deadline: _Deadline) -> bytes:
        with self._session.get(
            url, timeout=self._timeout, stream=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                raise VerificationError("certificate chain could not be fetched")
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > MAX_CHAIN_BYTES:
                raise VerificationError("certificate chain is too large")
            body = bytearray()
            for chunk in response.iter_content(chunk_size=8192):
                body += chunk
                if len(body) > MAX_CHAIN_BYTES:
                    raise VerificationError("certificate chain is too large")
                if deadline.passed:
                    raise VerificationError("certificate chain could not be fetched")
            return bytes(body)


@functools.cache
def _shared_fetcher() -> HttpsChainFetcher:
    return HttpsChainFetcher()


def fetch_cert_chain(url: str) -> bytes:
    """Fetch a chain with the process's shared :class:`HttpsChainFetcher` (one session)."""
    return _shared_fetcher()(url)


def load_cert_chain(pem: bytes) -> list[x509.Certificate]:
    """Parse a PEM chain: the signing certificate first, then intermediates."""
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise VerificationError("certificate chain could not be read") from None
    if len(chain) > MAX_CHAIN_CERTIFICATES:
        raise VerificationError("certificate chain is too long")
    return chain


def load_trust_store(pem: bytes) -> Store:
    """A trust store from a PEM bundle, skipping any certificate ``cryptography`` rejects.

    Some roots in the public bundles (for example Starfield Services Root CA G2, which
    cross-signs Amazon Root CA 1) have a serial number of zero, which RFC 5280 forbids.
    ``cryptography`` still loads them but warns that a future release will refuse them; that
    one expected warning is silenced here, and a root that no longer loads is left out
    rather than failing the whole store.
    """
    roots: list[x509.Certificate] = []
    for block in _PEM_CERTIFICATE.findall(pem):
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore",
                message="Parsed a serial number which wasn't positive",
                category=CryptographyDeprecationWarning,
            )
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                logger.debug("skipped a CA certificate that cryptography cannot load")
    if not roots:
        raise ValueError("the trust store bundle holds no usable certificates")
    return Store(roots)


_default_store: Store | None = None
_default_store_lock = threading.Lock()


def default_trust_store() -> Store:
    """The public CA bundle shipped by ``certifi`` (the one ``requests`` trusts), loaded once."""
    global _default_store
    with _default_store_lock:
        if _default_store is None:
            import certifi

            _default_store = load_trust_store(Path(certifi.where()).read_bytes())
        return _default_store


@dataclass(frozen=True)
class ValidatedChain:
    """A signing certificate whose chain was validated, and the window in which it holds.

    The path found at validation time stays valid for as long as every certificate on it is
    within its dates, so ``valid_from``/``valid_until`` are the latest ``not_valid_before``
    and the earliest ``not_valid_after`` on the path.
    """

    leaf: x509.Certificate
    valid_from: datetime
    valid_until: datetime

    def covers(self, now: datetime) -> bool:
        return self.valid_from <= now <= self.valid_until


def validate_cert_chain(
    chain: Sequence[x509.Certificate], trust_store: Store, now: datetime
) -> ValidatedChain:
    """Build and check a path from ``chain[0]`` to a root in ``trust_store`` at ``now``.

    ``cryptography``'s web-PKI server verifier checks every signature on the path, validity
    dates, basic constraints and key usages, and that the leaf's SAN matches
    ``echo-api.amazon.com``; on top of it, the SAN must name that domain exactly (a wildcard
    is not enough) and the leaf must be allowed to sign (digitalSignature).
    """
    if not chain:
        raise VerificationError("certificate chain is empty")
    leaf, intermediates = chain[0], list(chain[1:])
    verifier = (
        PolicyBuilder()
        .store(trust_store)
        .time(now)
        .build_server_verifier(x509.DNSName(ALEXA_SIGNING_DOMAIN))
    )
    try:
        path = verifier.verify(leaf, intermediates)
    except ChainVerificationError:
        raise VerificationError("certificate chain is not trusted") from None
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise VerificationError("signing certificate is not for echo-api.amazon.com") from None
    try:
        key_usage: x509.KeyUsage | None = leaf.extensions.get_extension_for_class(
            x509.KeyUsage
        ).value
    except x509.ExtensionNotFound:
        key_usage = None
    if ALEXA_SIGNING_DOMAIN not in san.get_values_for_type(x509.DNSName):
        raise VerificationError("signing certificate is not for echo-api.amazon.com")
    if key_usage is not None and not key_usage.digital_signature:
        raise VerificationError("signing certificate may not sign")
    check_signing_key(leaf)
    return ValidatedChain(
        leaf=leaf,
        valid_from=max(cert.not_valid_before_utc for cert in path),
        valid_until=min(cert.not_valid_after_utc for cert in path),
    )


def check_signing_key(leaf: x509.Certificate) -> None:
    """Refuse a signing key that is not RSA, or too weak or too odd to trust.

    The path validation checks the keys of the certificates that sign others, not the leaf's
    own key: without this, a trusted CA's RSA-1024 (or EC) leaf would be accepted.
    """
    try:
        public_key = leaf.public_key()
    except (ValueError, TypeError):  # an algorithm cryptography does not support
        raise VerificationError("signing certificate does not hold an RSA key") from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise VerificationError("signing certificate does not hold an RSA key")
    exponent = public_key.public_numbers().e
    if public_key.key_size < MIN_RSA_KEY_BITS or exponent < MIN_RSA_PUBLIC_EXPONENT:
        raise VerificationError("signing certificate key is too weak")
    if public_key.key_size > MAX_RSA_KEY_BITS or exponent % 2 == 0 or exponent.bit_length() > 256:
        raise VerificationError("signing certificate key is not usable")


# --- the verifiers ----------------------------------------------------------------------------


def _header(headers: Headers, name: str) -> str | None:
    """A header value by case-insensitive name (works for dicts and Werkzeug headers)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return str(value)
    return None


@dataclass(frozen=True)
class _Flight:
    """A chain fetch under way: when it started (``monotonic``) and its result to come."""

    started: float
    result: Future[ValidatedChain]


class AlexaSignatureVerifier(AbstractVerifier):
    """Checks the ``SignatureCertChainUrl`` chain and the ``Signature-256`` body signature.

    It needs the headers and the raw body only, never the parsed envelope, so the web entry
    runs it before it parses anything.

    ``fetcher`` fetches a chain (default: :func:`fetch_cert_chain`, over the network);
    ``trust_store`` holds the roots (default: :func:`default_trust_store`); ``clock`` gives the
    time used for certificate dates; ``monotonic`` the time for deadlines and the failure
    cache. Each URL's chain is fetched and validated once and kept (at most ``cache_size``
    URLs, least recently used out first) until the first certificate on its path expires.
    Fetches are single-flight per URL (concurrent requests wait for the one fetch), at most
    ``max_concurrent_fetches`` at once (a request needing another is refused at once), and a
    request waits at most ``fetch_deadline_seconds`` for one. A URL whose fetch or validation
    failed is refused without a fetch for ``FAILED_URL_SECONDS``.
    """

    def __init__(
        self,
        *,
        fetcher: CertChainFetcher = fetch_cert_chain,
        trust_store: Store | None = None,
        clock: Clock = utc_now,
        cache_size: int = DEFAULT_CACHE_SIZE,
        fetch_deadline_seconds: float = FETCH_DEADLINE_SECONDS,
        max_concurrent_fetches: int = MAX_CONCURRENT_FETCHES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        if max_concurrent_fetches < 1:
            raise ValueError("max_concurrent_fetches must be at least 1")
        self._fetcher = fetcher
        self._trust_store = trust_store if trust_store is not None else default_trust_store()
        self._clock = clock
        self._fetch_deadline = fetch_deadline_seconds
        self._max_fetches = max_concurrent_fetches
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._chains: TLRUCache[str, ValidatedChain, datetime] = TLRUCache(
            maxsize=cache_size, ttu=lambda _url, chain, _now: chain.valid_until, timer=self._now
        )
        self._failures: TTLCache[str, str, float] = TTLCache(
            maxsize=FAILED_URL_CACHE_SIZE, ttl=FAILED_URL_SECONDS, timer=monotonic
        )
        self._flights: dict[str, _Flight] = {}
        self._pool: ThreadPoolExecutor | None = None  # started with the first fetch

    def _now(self) -> datetime:
        return _as_utc(self._clock())

    def verify(
        self,
        headers: Headers,
        serialized_request_env: str | bytes,
        deserialized_request_env: object,
    ) -> None:
        """Raise :class:`VerificationError` unless Alexa signed this exact body."""
        cert_url = _header(headers, CERT_CHAIN_URL_HEADER)
        if not cert_url:
            raise VerificationError("missing SignatureCertChainUrl header")
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            raise VerificationError("missing Signature-256 header")
        leaf = self.signing_certificate(cert_url)
        body = (
            serialized_request_env.encode("utf-8")
            if isinstance(serialized_request_env, str)
            else serialized_request_env
        )
        verify_body_signature(leaf, signature, body)

    def signing_certificate(self, cert_url: str) -> x509.Certificate:
        """The validated signing certificate for a chain URL (cached)."""
        url = normalise_cert_url(cert_url)
        now = self._now()
        with self._lock:
            cached = self._chains.get(url)
            if cached is not None and cached.covers(now):
                return cached.leaf
            if cached is not None:  # the clock went back before its start: validate again
                del self._chains[url]
            failure = self._failures.get(url)
            if failure is not None:
                raise VerificationError(failure)
            flight = self._flights.get(url)
            if flight is None:
                if len(self._flights) >= self._max_fetches:
                    raise VerificationError("too many certificate chain fetches")
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(
                        max_workers=self._max_fetches, thread_name_prefix="cert-chain-fetch"
                    )
                flight = _Flight(self._monotonic(), self._pool.submit(self._load, url))
                self._flights[url] = flight
        remaining = flight.started + self._fetch_deadline - self._monotonic()
        try:
            validated = flight.result.result(timeout=max(remaining, 0.0))
        except FutureTimeoutError:
            self._remember_failure(url, "certificate chain could not be fetched")
            raise VerificationError("certificate chain could not be fetched") from None
        except VerificationError as error:  # a fresh exception for each waiting request
            raise VerificationError(str(error)) from None
        return validated.leaf

    def _load(self, url: str) -> ValidatedChain:
        """Fetch and validate one URL's chain (in a fetch thread), and remember the outcome."""
        try:
            try:
                pem = self._fetcher(url)
                validated = validate_cert_chain(
                    load_cert_chain(pem), self._trust_store, self._now()
                )
            except VerificationError as error:
                self._remember_failure(url, str(error))
                raise
            except Exception:  # a fetcher's own failure still refuses the request (fail closed)
                logger.warning("certificate chain fetch failed", exc_info=True)
                self._remember_failure(url, "certificate chain could not be fetched")
                raise VerificationError("certificate chain could not be fetched") from None
            with self._lock:
                self._chains[url] = validated
            return validated
        finally:
            with self._lock:
                self._flights.pop(url, None)

    def _remember_failure(self, url: str, message: str) -> None:
        with self._lock:
            self._failures[url] = message


def verify_body_signature(leaf: x509.Certificate, signature_b64: str, body: bytes) -> None:
    """Check a base64 RSA PKCS #1 v1.5 SHA-256 signature of ``body`` with the leaf's key."""
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError("request signature is not valid base64") from None
    public_key = leaf.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise VerificationError("signing certificate does not hold an RSA key")
    try:
        public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise VerificationError("request signature is not valid") from None


def _request_timestamp(envelope: object) -> datetime | None:
    request = getattr(envelope, "request", None)
    timestamp = getattr(request, "timestamp", None)
    return timestamp if isinstance(timestamp, datetime) else None


class AlexaTimestampVerifier(AbstractVerifier):
    """Refuses requests whose ``request.timestamp`` is more than 150 s from now (either way).

    Amazon allows up to an hour for skill-lifecycle events; this skill subscribes to none, so
    every request gets the same 150 s limit.
    """

    def __init__(
        self, *, clock: Clock = utc_now, tolerance_seconds: float = MAX_TIMESTAMP_TOLERANCE_SECONDS
    ) -> None:
        if not 0 <= tolerance_seconds <= MAX_TIMESTAMP_TOLERANCE_SECONDS:
            raise ValueError(
                f"tolerance_seconds must be between 0 and {MAX_TIMESTAMP_TOLERANCE_SECONDS}"
            )
        self._clock = clock
        self._tolerance = timedelta(seconds=tolerance_seconds)

    def verify(
        self,
        headers: Headers,
        serialized_request_env: str | bytes,
        deserialized_request_env: object,
    ) -> None:
        timestamp = _request_timestamp(deserialized_request_env)
        if timestamp is None:
            raise VerificationError("request timestamp is missing")
        try:
            # An offset of a day or more (ValueError), or a moment an offset pushes past the
            # years 1-9999 (OverflowError), parses but cannot be taken to UTC.
            moment = _as_utc(timestamp)
        except (OverflowError, ValueError):
            raise VerificationError("request timestamp is not valid") from None
        skew = moment - _as_utc(self._clock())
        if skew < -self._tolerance:
            raise VerificationError("request timestamp is too old")
        if skew > self._tolerance:
            raise VerificationError("request timestamp is in the future")


def application_ids(envelope: object) -> list[str]:
    """The application (skill) IDs an envelope names: context.System, then session."""
    found: list[str] = []
    context = getattr(envelope, "context", None)
    session = getattr(envelope, "session", None)
    for holder in (getattr(context, "system", None), session):
        application = getattr(holder, "application", None)
        value = getattr(application, "application_id", None)
        if isinstance(value, str):
            found.append(value)
    return found


class SkillIdVerifier(AbstractVerifier):
    """Refuses requests for any skill but ``skill_id`` (contract 6).

    The envelope must name an application ID, and every one it names (``context.System`` and,
    when there is a session, ``session``) must equal ``skill_id``.
    """

    def __init__(self, skill_id: str) -> None:
        if not skill_id:
            raise ValueError("skill_id must not be empty")
        self._skill_id = skill_id

    def verify(
        self,
        headers: Headers,
        serialized_request_env: str | bytes,
        deserialized_request_env: object,
    ) -> None:
        ids = application_ids(deserialized_request_env)
        if not ids:
            raise VerificationError("request names no skill ID")
        if any(value != self._skill_id for value in ids):
            raise VerificationError("request is for another skill")
