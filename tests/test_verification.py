"""Alexa request verification against a real (generated) certificate chain, offline."""

from __future__ import annotations

import http.server
import importlib.abc
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model.request_envelope import RequestEnvelope
from cryptography import x509
from web_support import (
    CHAIN_URL,
    NOW,
    OTHER_SKILL_ID,
    SKILL_ID,
    DictFetcher,
    GatedFetcher,
    Pki,
    body_of,
    chain_url,
    envelope,
    fixed_clock,
    make_pki,
    pem,
    sign,
    wait_until,
)

from skill import sdk_compat, verification
from skill.sdk_compat import VerificationException
from skill.verification import (
    AlexaSignatureVerifier,
    AlexaTimestampVerifier,
    HttpsChainFetcher,
    SkillIdVerifier,
    VerificationError,
    fetch_cert_chain,
    load_trust_store,
    normalise_cert_url,
    validate_cert_chain,
)

_SERIALIZER = DefaultSerializer()


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def fetcher(pki: Pki) -> DictFetcher:
    return DictFetcher(dict(pki.chains))


@pytest.fixture
def verifier(pki: Pki, fetcher: DictFetcher) -> AlexaSignatureVerifier:
    return AlexaSignatureVerifier(
        fetcher=fetcher, trust_store=pki.trust_store(), clock=fixed_clock()
    )


def parsed(document: dict[str, Any]) -> Any:
    return _SERIALIZER.deserialize(payload=body_of(document).decode(), obj_type=RequestEnvelope)


def check_signature(verifier: AlexaSignatureVerifier, body: bytes, headers: dict[str, str]) -> None:
    verifier.verify(headers, body.decode("utf-8"), None)


def good_headers(pki: Pki, body: bytes, url: str = CHAIN_URL) -> dict[str, str]:
    return {"SignatureCertChainUrl": url, "Signature-256": sign(body, pki.leaf_key)}


# --- the signature ----------------------------------------------------------------------------


def test_a_request_signed_by_alexa_is_accepted(
    pki: Pki, verifier: AlexaSignatureVerifier, fetcher: DictFetcher
) -> None:
    body = body_of(envelope())
    check_signature(verifier, body, good_headers(pki, body))
    assert fetcher.calls == [CHAIN_URL]


def test_header_names_are_case_insensitive(pki: Pki, verifier: AlexaSignatureVerifier) -> None:
    body = body_of(envelope())
    headers = {"signaturecertchainurl": CHAIN_URL, "SIGNATURE-256": sign(body, pki.leaf_key)}
    check_signature(verifier, body, headers)


def test_raw_bytes_are_accepted_as_the_body(pki: Pki, verifier: AlexaSignatureVerifier) -> None:
    body = body_of(envelope())
    verifier.verify(good_headers(pki, body), body, None)


@pytest.mark.parametrize("missing", ["SignatureCertChainUrl", "Signature-256"])
def test_a_missing_header_is_refused(
    pki: Pki, verifier: AlexaSignatureVerifier, fetcher: DictFetcher, missing: str
) -> None:
    body = body_of(envelope())
    headers = good_headers(pki, body)
    del headers[missing]
    with pytest.raises(VerificationException, match=f"missing {missing} header"):
        check_signature(verifier, body, headers)
    assert fetcher.calls == []


@pytest.mark.parametrize("missing", ["SignatureCertChainUrl", "Signature-256"])
def test_an_empty_header_is_refused(
    pki: Pki, verifier: AlexaSignatureVerifier, missing: str
) -> None:
    body = body_of(envelope())
    headers = good_headers(pki, body)
    headers[missing] = ""
    with pytest.raises(VerificationException, match=f"missing {missing} header"):
        check_signature(verifier, body, headers)


def test_a_body_changed_after_signing_is_refused(
    pki: Pki, verifier: AlexaSignatureVerifier
) -> None:
    body = body_of(envelope())
    headers = good_headers(pki, body)
    tampered = body.replace(b"LaunchRequest", b"IntentRequest")
    assert tampered != body
    with pytest.raises(VerificationException, match="request signature is not valid"):
        check_signature(verifier, tampered, headers)


def test_one_extra_byte_is_enough_to_refuse(pki: Pki, verifier: AlexaSignatureVerifier) -> None:
    body = body_of(envelope())
    headers = good_headers(pki, body)
    with pytest.raises(VerificationException, match="request signature is not valid"):
        check_signature(verifier, body + b" ", headers)


def test_a_signature_by_another_key_is_refused(pki: Pki, verifier: AlexaSignatureVerifier) -> None:
    body = body_of(envelope())
    headers = {"SignatureCertChainUrl": CHAIN_URL, "Signature-256": sign(body, pki.other_key)}
    with pytest.raises(VerificationException, match="request signature is not valid"):
        check_signature(verifier, body, headers)


@pytest.mark.parametrize("signature", ["not base64!", "QUJD=garbage", "AAAA"])
def test_a_malformed_signature_is_refused(verifier: AlexaSignatureVerifier, signature: str) -> None:
    body = body_of(envelope())
    headers = {"SignatureCertChainUrl": CHAIN_URL, "Signature-256": signature}
    with pytest.raises(VerificationException, match="request signature is not valid"):
        check_signature(verifier, body, headers)


# --- the certificate chain --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("expired", "certificate chain is not trusted"),
        ("not-yet-valid", "certificate chain is not trusted"),
        ("wrong-san", "certificate chain is not trusted"),
        ("wildcard-san", "not for echo-api.amazon.com"),
        ("cannot-sign", "certificate chain is not trusted|may not sign"),
        ("untrusted-root", "certificate chain is not trusted"),
        ("leaf-only", "certificate chain is not trusted"),
        ("not-pem", "certificate chain could not be read"),
        ("weak-key", "signing certificate key is too weak"),  # RSA 1024
        ("small-exponent", "signing certificate key is too weak"),  # RSA 2048, e = 3
        ("ec-key", "signing certificate does not hold an RSA key"),
        ("huge-key", "signing certificate key is not usable"),  # RSA 8200
    ],
)
def test_a_bad_chain_is_refused(
    pki: Pki, verifier: AlexaSignatureVerifier, name: str, message: str
) -> None:
    body = body_of(envelope())
    # Signed with the key the (bad) leaf really holds: only the chain is wrong.
    key = pki.leaf_keys.get(chain_url(name), pki.leaf_key)
    headers = {"SignatureCertChainUrl": chain_url(name), "Signature-256": sign(body, key)}
    with pytest.raises(VerificationException, match=message):
        check_signature(verifier, body, headers)


def test_the_leaf_must_be_valid_at_request_time(pki: Pki, fetcher: DictFetcher) -> None:
    later = pki.leaf.not_valid_after_utc + timedelta(seconds=1)
    verifier = AlexaSignatureVerifier(
        fetcher=fetcher, trust_store=pki.trust_store(), clock=fixed_clock(later)
    )
    body = body_of(envelope())
    with pytest.raises(VerificationException, match="certificate chain is not trusted"):
        check_signature(verifier, body, good_headers(pki, body))


def test_the_chain_must_reach_the_injected_trust_store(pki: Pki, fetcher: DictFetcher) -> None:
    verifier = AlexaSignatureVerifier(
        fetcher=fetcher, trust_store=load_trust_store(pem(pki.rogue_root)), clock=fixed_clock()
    )
    body = body_of(envelope())
    with pytest.raises(VerificationException, match="certificate chain is not trusted"):
        check_signature(verifier, body, good_headers(pki, body))


def test_a_fetch_failure_is_remembered_for_a_while_only(pki: Pki) -> None:
    """A failed URL is refused without a fetch for FAILED_URL_SECONDS, then fetched again."""
    now = [1000.0]
    fetcher = DictFetcher({})
    verifier = AlexaSignatureVerifier(
        fetcher=fetcher,
        trust_store=pki.trust_store(),
        clock=fixed_clock(),
        monotonic=lambda: now[0],
    )
    body = body_of(envelope())
    for _ in range(3):
        with pytest.raises(VerificationException, match="could not be fetched"):
            check_signature(verifier, body, good_headers(pki, body))
    assert fetcher.calls == [CHAIN_URL]
    fetcher.chains.update(pki.chains)
    now[0] += verification.FAILED_URL_SECONDS - 1
    with pytest.raises(VerificationException, match="could not be fetched"):
        check_signature(verifier, body, good_headers(pki, body))
    now[0] += 2
    check_signature(verifier, body, good_headers(pki, body))
    assert fetcher.calls == [CHAIN_URL, CHAIN_URL]


def test_a_chain_that_fails_validation_is_remembered_too(
    pki: Pki, verifier: AlexaSignatureVerifier, fetcher: DictFetcher
) -> None:
    body = body_of(envelope())
    headers = good_headers(pki, body, chain_url("untrusted-root"))
    for _ in range(3):
        with pytest.raises(VerificationException, match="certificate chain is not trusted"):
            check_signature(verifier, body, headers)
    assert fetcher.calls == [chain_url("untrusted-root")]


def _verify_in_threads(
    verifier: AlexaSignatureVerifier, jobs: list[tuple[bytes, dict[str, str]]]
) -> tuple[list[threading.Thread], list[BaseException | None]]:
    """Start one thread per (body, headers); each appends None or its exception."""
    outcomes: list[BaseException | None] = []

    def work(body: bytes, headers: dict[str, str]) -> None:
        try:
            check_signature(verifier, body, headers)
        except BaseException as exc:  # collected and asserted by the caller
            outcomes.append(exc)
        else:
            outcomes.append(None)

    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    return threads, outcomes


def test_concurrent_requests_for_one_chain_share_one_fetch(pki: Pki) -> None:
    fetcher = GatedFetcher(dict(pki.chains))
    verifier = AlexaSignatureVerifier(
        fetcher=fetcher, trust_store=pki.trust_store(), clock=fixed_clock()
    )
    body = body_of(envelope())
    threads, outcomes = _verify_in_threads(verifier, [(body, good_headers(pki, body))] * 4)
    wait_until(lambda: fetcher.calls)
    time.sleep(0.2)  # the other three are waiting for that fetch (or, unguarded, fetching too)
    fetcher.gate.set()
    for thread in threads:
        thread.join(timeout=10)
    assert outcomes == [None] * 4
    assert fetcher.calls == [CHAIN_URL]


def test_fetches_in_flight_are_bounded(pki: Pki) -> None:
    limit = verification.MAX_CONCURRENT_FETCHES
    urls = [chain_url(f"slow-{index}") for index in range(limit + 1)]
    fetcher = GatedFetcher({url: pki.chains[CHAIN_URL] for url in urls})
    verifier = AlexaSignatureVerifier(
        fetcher=fetcher, trust_store=pki.trust_store(), clock=fixed_clock()
    )
    body = body_of(envelope())
    threads, outcomes = _verify_in_threads(
        verifier, [(body, good_headers(pki, body, url)) for url in urls[:limit]]
    )
    try:
        wait_until(lambda: len(fetcher.calls) == limit)
        started = time.monotonic()
        with pytest.raises(VerificationException, match="too many certificate chain fetches"):
            check_signature(verifier, body, good_headers(pki, body, urls[-1]))
        assert time.monotonic() - started < 1.0  # refused at once, not queued
        assert urls[-1] not in fetcher.calls
    finally:
        fetcher.gate.set()
        for thread in threads:
            thread.join(timeout=10)
    assert outcomes == [None] * limit
    check_signature(verifier, body, good_headers(pki, body, urls[-1]))  # a free slot again


def test_a_fetch_past_its_deadline_refuses_the_request_in_time(pki: Pki) -> None:
    fetcher = GatedFetcher(dict(pki.chains))  # the gate stays shut: the network hangs
    verifier = AlexaSignatureVerifier(
        fetcher=fetcher,
        trust_store=pki.trust_store(),
        clock=fixed_clock(),
        fetch_deadline_seconds=0.3,
    )
    body = body_of(envelope())
    try:
        started = time.monotonic()
        with pytest.raises(VerificationException, match="could not be fetched"):
            check_signature(verifier, body, good_headers(pki, body))
        assert time.monotonic() - started < 1.5
        with pytest.raises(VerificationException, match="could not be fetched"):
            check_signature(verifier, body, good_headers(pki, body))  # remembered: no wait
        assert time.monotonic() - started < 1.5
        assert fetcher.calls == [CHAIN_URL]
    finally:
        fetcher.gate.set()


def test_a_fetcher_that_crashes_refuses_the_request(pki: Pki) -> None:
    def broken(url: str) -> bytes:
        raise OSError("network is down")

    verifier = AlexaSignatureVerifier(
        fetcher=broken, trust_store=pki.trust_store(), clock=fixed_clock()
    )
    body = body_of(envelope())
    with pytest.raises(VerificationException, match="could not be fetched"):
        check_signature(verifier, body, good_headers(pki, body))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("weak-key", "too weak"),
        ("small-exponent", "too weak"),
        ("ec-key", "does not hold an RSA key"),
        ("huge-key", "not usable"),
    ],
)
def test_a_trusted_chain_with_an_unfit_signing_key_is_not_validated(
    pki: Pki, name: str, message: str
) -> None:
    """Refused when the chain is validated, so it is never cached as a good chain."""
    chain = x509.load_pem_x509_certificates(pki.chains[chain_url(name)])
    with pytest.raises(VerificationError, match=message):
        validate_cert_chain(chain, pki.trust_store(), NOW)


def test_validate_cert_chain_reports_the_window_of_the_whole_path(pki: Pki) -> None:
    validated = validate_cert_chain([pki.leaf, pki.intermediate], pki.trust_store(), NOW)
    assert validated.leaf == pki.leaf
    assert validated.valid_until == pki.leaf.not_valid_after_utc  # the leaf expires first
    assert validated.valid_from == pki.leaf.not_valid_before_utc
    with pytest.raises(VerificationError, match="empty"):
        validate_cert_chain([], pki.trust_store(), NOW)


# --- the certificate URL ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (CHAIN_URL, CHAIN_URL),
        ("HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert-test.pem", CHAIN_URL),
        ("Https://s3.AmazonAWS.com/echo.api/echo-api-cert-test.pem", CHAIN_URL),
        ("https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem", CHAIN_URL),
        ("https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-test.pem", CHAIN_URL),
        ("https://s3.amazonaws.com/echo.api/./echo-api-cert-test.pem", CHAIN_URL),
        ("https://s3.amazonaws.com/echo.api/x/../echo-api-cert-test.pem", CHAIN_URL),
        (
            "https://s3.amazonaws.com/echo.api/echo-api-cert-12-ats.pem",
            "https://s3.amazonaws.com/echo.api/echo-api-cert-12-ats.pem",
        ),
    ],
)
def test_cert_urls_that_amazon_allows_are_normalised(url: str, expected: str) -> None:
    assert normalise_cert_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem", "host"),
        ("https://evil.s3.amazonaws.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com@evil.example/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com./echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/../../echo.api.evil/cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/x/../../evil/cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/", "path"),
        ("https://s3.amazonaws.com/echo.api", "path"),
        ("https://s3.amazonaws.com/echo.api/..", "path"),
        ("https://s3.amazonaws.com//echo.api/cert.pem", "path"),
        ("https://s3.amazonaws.com", "path"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "port"),
        ("https://s3.amazonaws.com:80/echo.api/echo-api-cert.pem", "port"),
        ("https://s3.amazonaws.com:99999/echo.api/echo-api-cert.pem", "not valid"),
        ("https://s3.amazonaws.com:https/echo.api/echo-api-cert.pem", "not valid"),
        ("https://user:pw@s3.amazonaws.com/echo.api/echo-api-cert.pem", "not valid"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/evil/cert.pem", "not valid"),
        ("https://s3.amazonaws.com/echo.api/..\\evil/cert.pem", "not valid"),
        ("https://s3.amazonaws.com/echo.api/cert.pem?x=1", "not valid"),
        ("https://s3.amazonaws.com/echo.api/cert.pem#x", "not valid"),
        ("https://s3.amazonaws.com/echo.api/cert .pem", "not valid"),
        ("https://s3.amazonaws.com/echo.api/cert.pem\n", "not valid"),
    ],
)
def test_cert_urls_outside_amazons_rules_are_refused(
    pki: Pki, verifier: AlexaSignatureVerifier, fetcher: DictFetcher, url: str, message: str
) -> None:
    with pytest.raises(VerificationError, match=message):
        normalise_cert_url(url)
    body = body_of(envelope())
    with pytest.raises(VerificationException, match=message):
        check_signature(verifier, body, good_headers(pki, body, url))
    assert fetcher.calls == []  # refused before anything is fetched


def test_an_empty_url_is_not_valid() -> None:
    with pytest.raises(VerificationError, match="not valid"):
        normalise_cert_url("")


def test_the_normalised_url_is_what_gets_fetched(
    pki: Pki, verifier: AlexaSignatureVerifier, fetcher: DictFetcher
) -> None:
    body = body_of(envelope())
    url = "HTTPS://S3.AmazonAWS.com:443/echo.api/../echo.api/echo-api-cert-test.pem"
    check_signature(verifier, body, good_headers(pki, body, url))
    assert fetcher.calls == [CHAIN_URL]


# --- the cache --------------------------------------------------------------------------------


def test_the_chain_is_fetched_once_for_many_requests(
    pki: Pki, verifier: AlexaSignatureVerifier, fetcher: DictFetcher
) -> None:
    for request_type in ("LaunchRequest", "SessionEndedRequest", "LaunchRequest"):
        body = body_of(envelope(request_type=request_type))
        check_signature(verifier, body, good_headers(pki, body))
    # equivalent spellings of the URL share one entry
    body = body_of(envelope())
    check_signature(
        verifier, body, good_headers(pki, body, CHAIN_URL.replace("https://s3", "HTTPS://S3"))
    )
    assert fetcher.calls == [CHAIN_URL]


def test_a_cached_chain_is_dropped_when_its_leaf_expires(pki: Pki, fetcher: DictFetcher) -> None:
    now = [NOW]
    verifier = AlexaSignatureVerifier(
        fetcher=fetcher, trust_store=pki.trust_store(), clock=lambda: now[0]
    )
    body = body_of(envelope())
    check_signature(verifier, body, good_headers(pki, body))
    now[0] = pki.leaf.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(VerificationException, match="not trusted"):
        check_signature(verifier, body, good_headers(pki, body))
    assert fetcher.calls == [CHAIN_URL, CHAIN_URL]


def test_the_cache_is_bounded(pki: Pki) -> None:
    second_url = chain_url("second")
    fetcher = DictFetcher({**pki.chains, second_url: pki.chains[CHAIN_URL]})
    verifier = AlexaSignatureVerifier(
        fetcher=fetcher, trust_store=pki.trust_store(), clock=fixed_clock(), cache_size=1
    )
    body = body_of(envelope())
    for url in (CHAIN_URL, second_url, CHAIN_URL, CHAIN_URL):
        check_signature(verifier, body, good_headers(pki, body, url))
    assert fetcher.calls == [CHAIN_URL, second_url, CHAIN_URL]


def test_the_cache_is_safe_across_threads(pki: Pki, fetcher: DictFetcher) -> None:
    verifier = AlexaSignatureVerifier(
        fetcher=fetcher, trust_store=pki.trust_store(), clock=fixed_clock()
    )
    body = body_of(envelope())
    headers = good_headers(pki, body)
    check_signature(verifier, body, headers)  # warm
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                check_signature(verifier, body, headers)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fetcher.calls == [CHAIN_URL]


# --- the timestamp ----------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 150, -150, 1, -1])
def test_a_timestamp_within_150_seconds_is_accepted(offset: int) -> None:
    verifier = AlexaTimestampVerifier(clock=fixed_clock())
    verifier.verify({}, "", parsed(envelope(timestamp=NOW + timedelta(seconds=offset))))


@pytest.mark.parametrize(
    ("offset", "message"),
    [(-151, "too old"), (-3600, "too old"), (151, "in the future"), (86400, "in the future")],
)
def test_a_stale_or_future_timestamp_is_refused(offset: int, message: str) -> None:
    verifier = AlexaTimestampVerifier(clock=fixed_clock())
    with pytest.raises(VerificationException, match=message):
        verifier.verify({}, "", parsed(envelope(timestamp=NOW + timedelta(seconds=offset))))


def test_a_missing_timestamp_is_refused() -> None:
    verifier = AlexaTimestampVerifier(clock=fixed_clock())
    with pytest.raises(VerificationException, match="timestamp is missing"):
        verifier.verify({}, "", parsed(envelope(timestamp=None)))


def test_a_naive_clock_is_taken_as_utc() -> None:
    verifier = AlexaTimestampVerifier(clock=fixed_clock(NOW.replace(tzinfo=None)))
    verifier.verify({}, "", parsed(envelope()))


@pytest.mark.parametrize("tolerance", [-1, 151, 3600])
def test_the_tolerance_cannot_exceed_amazons_limit(tolerance: float) -> None:
    with pytest.raises(ValueError, match="tolerance_seconds"):
        AlexaTimestampVerifier(tolerance_seconds=tolerance)


def test_a_smaller_tolerance_is_honoured() -> None:
    verifier = AlexaTimestampVerifier(clock=fixed_clock(), tolerance_seconds=10)
    with pytest.raises(VerificationException, match="too old"):
        verifier.verify({}, "", parsed(envelope(timestamp=NOW - timedelta(seconds=11))))


#: Timestamps that parse but cannot be taken to UTC: an offset of a day or more, or a moment
#: that an offset pushes past year 9999 or before year 1 (OverflowError, ValueError).
UNREPRESENTABLE_TIMESTAMPS = [
    "2026-03-01T12:00:00+25:00",
    "2026-03-01T12:00:00+24:00",
    "2026-03-01T12:00:00-99:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+01:00",
]


@pytest.mark.parametrize("timestamp", UNREPRESENTABLE_TIMESTAMPS)
def test_a_timestamp_that_cannot_be_taken_to_utc_is_refused(timestamp: str) -> None:
    document = envelope()
    document["request"]["timestamp"] = timestamp
    verifier = AlexaTimestampVerifier(clock=fixed_clock())
    with pytest.raises(VerificationError, match=r"^request timestamp is not valid$"):
        verifier.verify({}, "", parsed(document))


# --- the skill ID -----------------------------------------------------------------------------


def test_the_configured_skill_is_accepted() -> None:
    SkillIdVerifier(SKILL_ID).verify({}, "", parsed(envelope()))


def test_a_request_without_a_session_is_checked_by_its_context() -> None:
    SkillIdVerifier(SKILL_ID).verify({}, "", parsed(envelope(with_session=False)))
    with pytest.raises(VerificationException, match="another skill"):
        SkillIdVerifier(SKILL_ID).verify(
            {}, "", parsed(envelope(with_session=False, application_id=OTHER_SKILL_ID))
        )


def test_another_skills_id_is_refused() -> None:
    with pytest.raises(VerificationException, match="request is for another skill"):
        SkillIdVerifier(SKILL_ID).verify({}, "", parsed(envelope(application_id=OTHER_SKILL_ID)))


def test_a_session_for_another_skill_is_refused() -> None:
    document = envelope(session_application_id=OTHER_SKILL_ID)
    with pytest.raises(VerificationException, match="request is for another skill"):
        SkillIdVerifier(SKILL_ID).verify({}, "", parsed(document))


def test_the_session_alone_can_name_the_skill() -> None:
    document = envelope(application_id=None, session_application_id=SKILL_ID)
    SkillIdVerifier(SKILL_ID).verify({}, "", parsed(document))


def test_a_request_naming_no_skill_is_refused() -> None:
    document = envelope(application_id=None, with_session=False)
    with pytest.raises(VerificationException, match="names no skill ID"):
        SkillIdVerifier(SKILL_ID).verify({}, "", parsed(document))


def test_the_messages_carry_no_ids() -> None:
    with pytest.raises(VerificationException) as raised:
        SkillIdVerifier(SKILL_ID).verify({}, "", parsed(envelope(application_id=OTHER_SKILL_ID)))
    assert "amzn1" not in str(raised.value)


def test_an_empty_skill_id_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="skill_id"):
        SkillIdVerifier("")


# --- the default fetcher (a real HTTP server on loopback) -------------------------------------


TRICKLE_SECONDS = 0.5  # a byte this often: well inside the 2 s read timeout


class _ChainHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``routes`` over keep-alive HTTP/1.1; two paths trickle a byte at a time."""

    protocol_version = "HTTP/1.1"
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}
    connections: ClassVar[list[tuple[str, int]]] = []

    def setup(self) -> None:
        super().setup()
        self.connections.append(self.client_address)

    def _trickle(self, data: bytes) -> None:
        """Send ``data`` one byte per TRICKLE_SECONDS, until done or the client leaves."""
        for index in range(len(data)):
            try:
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
            except OSError:
                return
            time.sleep(TRICKLE_SECONDS)

    def do_GET(self) -> None:
        if self.path == "/echo.api/slow-headers.pem":  # 40 header bytes: 20 s
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._trickle(b"X-Slow: " + b"a" * 32)
            return
        if self.path == "/echo.api/slow-body.pem":
            self.close_connection = True
            body = b"x" * 40
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n")
            self._trickle(body)
            return
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a deadline, a size limit) is expected here."""


@pytest.fixture
def chain_server(pki: Pki) -> Iterator[str]:
    big = b"x" * (verification.MAX_CHAIN_BYTES + 1)
    _ChainHandler.routes = {
        "/echo.api/good.pem": (200, {}, pki.chains[CHAIN_URL]),
        "/echo.api/big.pem": (200, {}, big),
        "/echo.api/moved.pem": (302, {"Location": "/echo.api/good.pem"}, b""),
    }
    _ChainHandler.connections = []
    server = _QuietServer(("127.0.0.1", 0), _ChainHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_default_fetcher_returns_the_chain(pki: Pki, chain_server: str) -> None:
    assert fetch_cert_chain(f"{chain_server}/echo.api/good.pem") == pki.chains[CHAIN_URL]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/echo.api/missing.pem", "could not be fetched"),
        ("/echo.api/moved.pem", "could not be fetched"),  # redirects are not followed
        ("/echo.api/big.pem", "too large"),
    ],
)
def test_the_default_fetcher_refuses_bad_answers(
    chain_server: str, path: str, message: str
) -> None:
    with pytest.raises(VerificationError, match=message):
        fetch_cert_chain(f"{chain_server}{path}")


def test_the_default_fetcher_reuses_its_connection(pki: Pki, chain_server: str) -> None:
    for _ in range(3):
        assert fetch_cert_chain(f"{chain_server}/echo.api/good.pem") == pki.chains[CHAIN_URL]
    assert len(_ChainHandler.connections) == 1


def test_the_default_fetcher_gives_up_on_a_trickle_at_its_deadline(chain_server: str) -> None:
    """A byte every half second never trips the read timeout; the overall deadline (3 s) ends
    the fetch, and the thread is free again."""
    outcome: list[BaseException] = []

    def fetch() -> None:
        try:
            fetch_cert_chain(f"{chain_server}/echo.api/slow-headers.pem")
        except BaseException as exc:  # asserted below
            outcome.append(exc)

    thread = threading.Thread(target=fetch, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(timeout=5.0)  # the deadline plus slack: far less than the 20 s trickle
    assert not thread.is_alive(), "a trickling server held the fetch past its deadline"
    assert time.monotonic() - started < 5.0
    assert len(outcome) == 1 and isinstance(outcome[0], VerificationError)
    assert "could not be fetched" in str(outcome[0])


def test_a_fetchers_deadline_covers_the_body_too(chain_server: str) -> None:
    fetcher = HttpsChainFetcher(deadline_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(VerificationError, match="could not be fetched"):
        fetcher(f"{chain_server}/echo.api/slow-body.pem")
    assert time.monotonic() - started < 2.5


def test_the_default_fetcher_refuses_an_unreachable_host() -> None:
    with pytest.raises(VerificationError, match="could not be fetched"):
        fetch_cert_chain("http://127.0.0.1:9/echo.api/cert.pem")  # discard port: refused


# --- the trust store --------------------------------------------------------------------------


def test_the_default_trust_store_loads_the_public_roots_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store = verification.default_trust_store()
    assert store is verification.default_trust_store()  # loaded once


def test_a_trust_store_needs_at_least_one_certificate() -> None:
    with pytest.raises(ValueError, match="no usable certificates"):
        load_trust_store(b"nothing here")


# --- the SDK compatibility shim ---------------------------------------------------------------


def test_the_sdks_own_verifier_refuses_even_a_good_chain(pki: Pki) -> None:
    """Whether certvalidator is real or our stand-in, the SDK path accepts nothing here."""
    from ask_sdk_webservice_support.verifier import RequestVerifier

    sdk_verifier = RequestVerifier()
    sdk_verifier._cert_cache[CHAIN_URL] = pki.chains[CHAIN_URL]  # no network
    body = body_of(envelope())
    with pytest.raises(VerificationException):
        sdk_verifier.verify(good_headers(pki, body), body.decode(), parsed(envelope()))


def test_the_standin_refuses_every_certificate() -> None:
    if not sdk_compat.ensure_certvalidator_importable():
        pytest.skip("the real certvalidator imports on this machine")
    import certvalidator
    from certvalidator.errors import ValidationError

    with pytest.raises(ValidationError, match="refuses every certificate"):
        certvalidator.CertificateValidator(b"anything", [])


class _FailingImport(importlib.abc.MetaPathFinder):
    """Makes ``import certvalidator`` raise the given exception."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname == "certvalidator":
            raise self.exc
        return None


def _oscrypto_error() -> Exception:
    error_class: type[Exception] = type(
        "LibraryNotFoundError", (Exception,), {"__module__": "oscrypto.errors"}
    )
    return error_class("Error detecting the version of libcrypto")


@pytest.fixture
def no_certvalidator(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget certvalidator for one test; monkeypatch puts the modules back afterwards."""
    for name in [n for n in sys.modules if n.split(".")[0] == "certvalidator"]:
        monkeypatch.delitem(sys.modules, name)


def test_the_standin_is_installed_only_for_oscrypto_failing(
    monkeypatch: pytest.MonkeyPatch, no_certvalidator: None
) -> None:
    monkeypatch.setattr(sys, "meta_path", [_FailingImport(_oscrypto_error()), *sys.meta_path])
    assert sdk_compat.ensure_certvalidator_importable() is True
    standin = sys.modules["certvalidator"]
    assert getattr(standin, sdk_compat.STANDIN_MARKER) is True
    errors = sys.modules["certvalidator.errors"]
    with pytest.raises(errors.ValidationError):
        standin.CertificateValidator(b"")
    assert issubclass(errors.PathError, Exception)
    assert sdk_compat.ensure_certvalidator_importable() is True  # idempotent


def test_any_other_import_failure_propagates(
    monkeypatch: pytest.MonkeyPatch, no_certvalidator: None
) -> None:
    monkeypatch.setattr(
        sys, "meta_path", [_FailingImport(ImportError("something else")), *sys.meta_path]
    )
    with pytest.raises(ImportError, match="something else"):
        sdk_compat.ensure_certvalidator_importable()
    assert "certvalidator" not in sys.modules
