"""What the runtime needs of a content library: the right locale's content for a request.

Two libraries implement it: ``ContentLibrary`` reads and validates the YAML (a checkout,
the tools, CI), ``SnapshotLibrary`` reads the records the package step already validated
(the Lambda bundle). Choosing the locale is the same for both, so it lives here.

A request from a locale we have no content for (en-ZA, say) gets international English
(``en-001``), with a log line: it names "your local emergency number" rather than a number
that may be wrong there.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping

from skill.content.records import Content
from skill.settings import DEFAULT_LOCALE

logger = logging.getLogger(__name__)

#: International English, for locales we have no content of their own for.
INTERNATIONAL = "en-001"
_LOCALE = re.compile(r"[a-z]{2}-[A-Z]{2}|[a-z]{2}-\d{3}")


class ContentError(ValueError):
    """The content is broken; ``problems`` lists each as ``"file: key.path: what is wrong"``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("content problems:\n" + "\n".join(f"- {p}" for p in problems))


class Library(ABC):
    """Every locale's content, loaded on first use; subclasses say how to load one."""

    def __init__(self, available: frozenset[str]) -> None:
        self.locales_available = available
        self._loaded: dict[str, Content] = {}
        self._warned: set[str] = set()

    @property
    def available(self) -> frozenset[str]:
        return self.locales_available

    def content(self, locale: str) -> Content:
        """One locale's content; raises ``ContentError`` if it is broken."""
        loaded = self._loaded.get(locale)
        if loaded is None:
            loaded = self._loaded[locale] = self._load(locale)
        return loaded

    @abstractmethod
    def _load(self, locale: str) -> Content:
        """Read one locale's content; raise ``ContentError`` naming what is wrong."""

    @property
    def locales(self) -> Mapping[str, Content]:
        return {locale: self.content(locale) for locale in sorted(self.locales_available)}

    def resolve(self, locale: str | None) -> str:
        """The locale whose content answers a request from ``locale``."""
        if locale in self.locales_available:
            return locale
        if locale is None:
            return DEFAULT_LOCALE
        chosen = INTERNATIONAL if INTERNATIONAL in self.locales_available else DEFAULT_LOCALE
        key = locale if isinstance(locale, str) and _LOCALE.fullmatch(locale) else "other"
        if key not in self._warned and len(self._warned) < 64:  # never a log line per request
            self._warned.add(key)
            logger.warning(
                "no content for this locale; answering with the nearest we have",
                extra={"locale": key, "status": chosen},
            )
        return chosen

    def for_locale(self, locale: str | None) -> Content:
        """The content for a request's locale; a broken locale falls back to the default."""
        chosen = self.resolve(locale)
        try:
            return self.content(chosen)
        except ContentError:
            if chosen == DEFAULT_LOCALE:
                raise
            logger.error("content for a locale is broken", extra={"locale": chosen})
            return self.content(DEFAULT_LOCALE)
