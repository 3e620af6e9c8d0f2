"""Test support for the web entry: a private PKI, signed requests, a tiny skill, a server.

Everything is generated here with ``cryptography``; nothing touches the network beyond
loopback. The PKI mirrors Amazon's shape (root -> intermediate -> leaf for
``echo-api.amazon.com`` with RSA keys and the usual web-PKI extensions) plus the forgeries the
verifier must refuse.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ask_sdk_core.dispatch_components.request_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils.predicate import is_request_type
from ask_sdk_model.response import Response
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import Store

from skill.verification import VerificationError

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SKILL_ID = "amzn1.ask.skill.00000000-test-0000-0000-000000000001"
OTHER_SKILL_ID = "amzn1.ask.skill.99999999-other-9999-9999-999999999999"
CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
ALEXA_DOMAIN = "echo-api.amazon.com"
HELLO_SPEECH = "Hello from the test skill."


def fixed_clock(moment: datetime = NOW) -> Any:
    """A clock that always says ``moment``."""
    return lambda: moment


# --- the PKI ----------------------------------------------------------------------------------


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Migraine Helper Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(
    key: rsa.RSAPrivateKey,
    common_name: str,
    *,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None,
) -> x509.Certificate:
    """A root CA (self-signed) or, with ``issuer``, an intermediate CA."""
    issuer_name = issuer[0].subject if issuer else _name(common_name)
    issuer_key = issuer[1] if issuer else key
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=365))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def make_leaf(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPublicKey,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey],
    *,
    dns_names: tuple[str, ...] = (ALEXA_DOMAIN,),
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=60),
    digital_signature: bool = True,
) -> x509.Certificate:
    """A signing certificate shaped like Amazon's (server + client auth EKUs).

    ``key`` is the leaf's private key, or just a public key for a leaf nobody signs with.
    """
    public_key = key if isinstance(key, rsa.RSAPublicKey) else key.public_key()
    usage = _key_usage(ca=False)
    if not digital_signature:
        usage = x509.KeyUsage(
            digital_signature=False,
            content_commitment=False,
            key_encipherment=True,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
    return (
        x509.CertificateBuilder()
        .subject_name(_name(dns_names[0]))
        .issuer_name(issuer[0].subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in dns_names]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()),
            critical=False,
        )
        .sign(issuer[1], hashes.SHA256())
    )


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def chain_url(name: str) -> str:
    return f"https://s3.amazonaws.com/echo.api/{name}.pem"


@dataclass(frozen=True)
class Pki:
    """The trusted root, the good chain and the bad ones, each served at its own URL."""

    root: x509.Certificate
    intermediate: x509.Certificate
    leaf: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    other_key: rsa.RSAPrivateKey  # a key no certificate vouches for
    rogue_root: x509.Certificate  # a root the trust store does not hold
    rogue_key: rsa.RSAPrivateKey  # its key, also the key of the leaf it issued
    chains: dict[str, bytes]  # normalised chain URL -> PEM
    #: chain URL -> the private key its leaf really holds, where that is not ``leaf_key``
    leaf_keys: dict[str, rsa.RSAPrivateKey]

    def trust_store(self) -> Store:
        return Store([self.root])


@functools.cache
def make_pki() -> Pki:
    """Build the PKI once per test session (RSA key generation is the slow part)."""
    root_key, intermediate_key, leaf_key, other_key, rogue_key = (_rsa_key() for _ in range(5))
    root = make_ca(root_key, "Test Root CA")
    intermediate = make_ca(intermediate_key, "Test Intermediate CA", issuer=(root, root_key))
    issuer = (intermediate, intermediate_key)
    leaf = make_leaf(leaf_key, issuer)
    rogue_root = make_ca(rogue_key, "Rogue Root CA")
    rogue_leaf = make_leaf(rogue_key, (rogue_root, rogue_key))
    # Leaves with keys too weak or unusable for signing, from the trusted intermediate.
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    small_exponent_key = rsa.generate_private_key(public_exponent=3, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    huge_key = rsa.RSAPublicNumbers(65537, 2**8199 + 1).public_key()  # 8200 bits, no owner
    chains = {
        CHAIN_URL: pem(leaf, intermediate),
        chain_url("expired"): pem(
            make_leaf(
                leaf_key,
                issuer,
                not_before=NOW - timedelta(days=90),
                not_after=NOW - timedelta(seconds=1),
            ),
            intermediate,
        ),
        chain_url("not-yet-valid"): pem(
            make_leaf(leaf_key, issuer, not_before=NOW + timedelta(minutes=5)), intermediate
        ),
        chain_url("wrong-san"): pem(
            make_leaf(leaf_key, issuer, dns_names=("evil.example.com",)), intermediate
        ),
        chain_url("wildcard-san"): pem(
            make_leaf(leaf_key, issuer, dns_names=("*.amazon.com",)), intermediate
        ),
        chain_url("cannot-sign"): pem(
            make_leaf(leaf_key, issuer, digital_signature=False), intermediate
        ),
        chain_url("untrusted-root"): pem(rogue_leaf, rogue_root),
        chain_url("leaf-only"): pem(leaf),
        chain_url("not-pem"): b"this is not a certificate\n",
        chain_url("weak-key"): pem(make_leaf(weak_key, issuer), intermediate),
        chain_url("small-exponent"): pem(make_leaf(small_exponent_key, issuer), intermediate),
        chain_url("ec-key"): pem(make_leaf(ec_key, issuer), intermediate),
        chain_url("huge-key"): pem(make_leaf(huge_key, issuer), intermediate),
    }
    return Pki(
        root=root,
        intermediate=intermediate,
        leaf=leaf,
        leaf_key=leaf_key,
        other_key=other_key,
        rogue_root=rogue_root,
        rogue_key=rogue_key,
        chains=chains,
        leaf_keys={
            chain_url("untrusted-root"): rogue_key,
            chain_url("weak-key"): weak_key,
            chain_url("small-exponent"): small_exponent_key,
        },
    )


@dataclass
class DictFetcher:
    """A certificate-chain fetcher that serves PEM from a dict and counts its calls."""

    chains: dict[str, bytes]
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        try:
            return self.chains[url]
        except KeyError:
            raise VerificationError("certificate chain could not be fetched") from None


@dataclass
class GatedFetcher:
    """Like :class:`DictFetcher`, but each fetch waits until ``gate`` opens (a slow network).

    A fetch still waiting after ``patience`` seconds fails, so a test never hangs.
    """

    chains: dict[str, bytes]
    gate: threading.Event = field(default_factory=threading.Event)
    calls: list[str] = field(default_factory=list)
    patience: float = 5.0

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        if not self.gate.wait(self.patience):
            raise VerificationError("certificate chain could not be fetched (gate shut)")
        try:
            return self.chains[url]
        except KeyError:
            raise VerificationError("certificate chain could not be fetched") from None


def wait_until(condition: Any, timeout: float = 5.0) -> None:
    """Poll ``condition()`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


# --- requests ---------------------------------------------------------------------------------


def envelope(
    *,
    timestamp: datetime | None = NOW,
    application_id: str | None = SKILL_ID,
    session_application_id: str | None = None,
    request_type: str = "LaunchRequest",
    with_session: bool = True,
) -> dict[str, Any]:
    """A LaunchRequest envelope; the session's application ID defaults to the context's."""
    request: dict[str, Any] = {
        "type": request_type,
        "requestId": "amzn1.echo-api.request.test",
        "locale": "en-US",
    }
    if timestamp is not None:
        request["timestamp"] = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    document: dict[str, Any] = {"version": "1.0", "request": request}
    system: dict[str, Any] = {
        "user": {"userId": "amzn1.ask.account.test"},
        "device": {"deviceId": "amzn1.ask.device.test", "supportedInterfaces": {}},
    }
    if application_id is not None:
        system["application"] = {"applicationId": application_id}
    document["context"] = {"System": system}
    if with_session:
        session_id = session_application_id if session_application_id else application_id
        session: dict[str, Any] = {
            "new": True,
            "sessionId": "amzn1.echo-api.session.test",
            "user": {"userId": "amzn1.ask.account.test"},
            "attributes": {},
        }
        if session_id is not None:
            session["application"] = {"applicationId": session_id}
        document["session"] = session
    return document


def body_of(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def sign(body: bytes, key: rsa.RSAPrivateKey) -> str:
    """The ``Signature-256`` header value for ``body``."""
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def signed_headers(body: bytes, key: rsa.RSAPrivateKey, *, url: str = CHAIN_URL) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "SignatureCertChainUrl": url,
        "Signature-256": sign(body, key),
    }


# --- a tiny skill -----------------------------------------------------------------------------


class _HelloHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(HELLO_SPEECH).response


class _BrokenHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("IntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        raise RuntimeError("the test skill failed on purpose")


def hello_skill() -> CustomSkill:
    """A real ask-sdk skill: LaunchRequest says hello; IntentRequest raises (no handler)."""
    builder = SkillBuilder()
    builder.add_request_handler(_HelloHandler())
    builder.add_request_handler(_BrokenHandler())
    built: CustomSkill = builder.create()
    return built


# --- a real server on loopback ----------------------------------------------------------------


def stop_server(server: Any, thread: threading.Thread) -> None:
    """Stop a waitress server running ``server.run()`` in ``thread``, and wait for it.

    The closing happens on the server's own loop thread (handed over through its trigger):
    open keep-alive channels first, then the listening socket; the loop ends when nothing
    is left to watch.
    """

    def close_everything() -> None:
        for channel in list(server.active_channels.values()):
            channel.handle_close()
        server.close()

    server.trigger.pull_trigger(close_everything)
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()
    assert not thread.is_alive(), "waitress did not stop"


@contextmanager
def running(server: Any) -> Iterator[str]:
    """Run a bound waitress server in a thread; yield its base URL; stop it on exit."""
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield f"http://{server.effective_host}:{server.effective_port}/"
    finally:
        stop_server(server, thread)
