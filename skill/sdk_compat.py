"""Make the ASK web-service SDK importable where ``oscrypto`` cannot start.

Why this exists (upstream facts, checked against the installed sources):

- ``flask_ask_sdk.skill_adapter`` (flask-ask-sdk 1.0.0) imports
  ``ask_sdk_webservice_support.webservice_handler``, which imports
  ``ask_sdk_webservice_support.verifier`` (1.3.3). That module does
  ``from certvalidator import CertificateValidator`` at module level, and ``certvalidator``
  (0.11.1) imports ``oscrypto``.
- ``oscrypto`` 1.3.0, the latest release on PyPI, finds the libcrypto version with the regular
  expression ``\\b(\\d\\.\\d\\.\\d[a-z]*)\\b``. It cannot read a two-digit patch number such as
  "OpenSSL 3.0.19" (any OpenSSL >= 3.0.10), so at import it raises
  ``oscrypto.errors.LibraryNotFoundError("Error detecting the version of libcrypto")``. Current
  Linux distributions and the AWS Lambda Python runtimes ship such an OpenSSL. Upstream:
  wbond/oscrypto issues #75 and #78 (open); the fix is on oscrypto's master branch (commit
  d5f3437) but not in any release on PyPI.

So ``import flask_ask_sdk.skill_adapter`` fails before any of our code runs, although the one
class that needs ``certvalidator`` (the SDK's ``RequestVerifier``) is something this project
never uses: :mod:`skill.verification` checks Alexa's signatures with ``cryptography``, and
:mod:`skill.web` turns the SDK's own signature and timestamp verifiers off in the app config so
that ``RequestVerifier`` is never constructed.

:func:`ensure_certvalidator_importable` first tries the real import. Only when it fails with
``oscrypto``'s ``LibraryNotFoundError`` does it register a minimal ``certvalidator`` stand-in in
``sys.modules``. The stand-in fails closed: its ``CertificateValidator`` raises its
``ValidationError`` for every certificate, which the SDK turns into a refused request. Nothing
can ever be accepted through the SDK's unused path; verification is never silently switched off.

Import the SDK names used elsewhere from this module, never from the SDK directly, so that the
stand-in (when needed) is in place first.
"""

from __future__ import annotations

import logging
import sys
import types
from typing import NoReturn

logger = logging.getLogger(__name__)

STANDIN_MARKER = "__migraine_helper_standin__"
"""Attribute set on the stand-in modules, so that tests and diagnostics can tell them apart."""


def _is_oscrypto_library_error(exc: BaseException) -> bool:
    """True for ``oscrypto.errors.LibraryNotFoundError`` (matched by name: it cannot import)."""
    cls = type(exc)
    return cls.__module__ == "oscrypto.errors" and cls.__name__ == "LibraryNotFoundError"


def _build_standin() -> tuple[types.ModuleType, types.ModuleType]:
    """The fail-closed ``certvalidator`` and ``certvalidator.errors`` stand-in modules."""
    errors = types.ModuleType(
        "certvalidator.errors",
        "Stand-in for certvalidator.errors (see skill.sdk_compat): exception classes only.",
    )

    class PathError(Exception):
        """A certification path could not be built."""

    class ValidationError(Exception):
        """A certificate is not valid."""

    for cls in (PathError, ValidationError):
        cls.__module__ = errors.__name__
        setattr(errors, cls.__name__, cls)

    package = types.ModuleType(
        "certvalidator",
        "Fail-closed stand-in for certvalidator (see skill.sdk_compat): it validates nothing.",
    )

    class CertificateValidator:
        """Refuses every certificate: this project verifies Alexa's chain with ``cryptography``."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            self._refuse()

        def validate_usage(self, *args: object, **kwargs: object) -> NoReturn:
            self._refuse()

        def validate_tls(self, *args: object, **kwargs: object) -> NoReturn:
            self._refuse()

        @staticmethod
        def _refuse() -> NoReturn:
            raise ValidationError(
                "certvalidator is unavailable (oscrypto cannot load libcrypto); "
                "this stand-in refuses every certificate"
            )

    CertificateValidator.__module__ = package.__name__
    package.CertificateValidator = CertificateValidator  # type: ignore[attr-defined]
    package.errors = errors  # type: ignore[attr-defined]
    package.__path__ = []  # a package, so that ``import certvalidator.errors`` works
    for module in (package, errors):
        setattr(module, STANDIN_MARKER, True)
    return package, errors


def ensure_certvalidator_importable() -> bool:
    """Import ``certvalidator``, installing the fail-closed stand-in only for the oscrypto bug.

    Returns True when the stand-in is (now or already) in place, False when the real package
    imported. Any other import failure propagates unchanged. Idempotent.
    """
    existing = sys.modules.get("certvalidator")
    if existing is not None:
        return bool(getattr(existing, STANDIN_MARKER, False))
    try:
        import certvalidator  # noqa: F401
    except Exception as exc:
        if not _is_oscrypto_library_error(exc):
            raise
        # A failed package import leaves the submodules that did load (errors, context, ...)
        # in sys.modules; drop them so that nobody gets half of the real package.
        for name in [
            n for n in sys.modules if n == "certvalidator" or n.startswith("certvalidator.")
        ]:
            del sys.modules[name]
        package, errors = _build_standin()
        sys.modules["certvalidator"] = package
        sys.modules["certvalidator.errors"] = errors
        logger.info(
            "oscrypto cannot load libcrypto (%s); installed a fail-closed certvalidator "
            "stand-in. Alexa requests are verified by skill.verification.",
            exc,
        )
        return True
    return False


ensure_certvalidator_importable()

# The SDK names the rest of the project uses; imported only after the stand-in is in place.
from ask_sdk_webservice_support.verifier import (  # noqa: E402
    AbstractVerifier,
    VerificationException,
)
from flask_ask_sdk.skill_adapter import (  # noqa: E402
    VERIFY_SIGNATURE_APP_CONFIG,
    VERIFY_TIMESTAMP_APP_CONFIG,
    SkillAdapter,
)

__all__ = [
    "STANDIN_MARKER",
    "VERIFY_SIGNATURE_APP_CONFIG",
    "VERIFY_TIMESTAMP_APP_CONFIG",
    "AbstractVerifier",
    "SkillAdapter",
    "VerificationException",
    "ensure_certvalidator_importable",
]
