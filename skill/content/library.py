"""All locales' content, loaded once per process; the right locale for every request.

Each locale is merged and parsed the first time it is asked for, so a cold start pays for
one locale, not seven. ``check``, CI and the package step validate them all at once
(``load_library(validate_all=True)``), so nothing broken ships.

A request from a locale we have no content for (en-ZA, say) gets international English
(``en-001``), with a log line: it names "your local emergency number" rather than a number
that may be wrong there. New Zealand has content of its own (111, not 000 or 911), served
with the Australian interaction model, as Alexa does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skill.content.documents import (
    BASE,
    CLINIC_FILE,
    INTERNATIONAL,
    SOURCES_FILE,
    TRIAGE_DIR,
    Documents,
    Merged,
    deep_merge,
    display_name,
    merge_chain,
    read_documents,
)
from skill.content.parser import Parser
from skill.content.records import Content
from skill.settings import DEFAULT_LOCALE

logger = logging.getLogger(__name__)

_LOCALE = re.compile(r"[a-z]{2}-[A-Z]{2}|[a-z]{2}-\d{3}")
NOT_LOCALES = frozenset({BASE, CLINIC_FILE, SOURCES_FILE})


class ContentError(ValueError):
    """The content is broken; ``problems`` lists each as ``"file: key.path: what is wrong"``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("content problems:\n" + "\n".join(f"- {p}" for p in problems))


class ContentLibrary:
    """Every locale's content, parsed on first use."""

    def __init__(self, documents: Mapping[str, dict[str, Any]], *, precise: bool = False) -> None:
        self._documents = documents
        self._precise_parse = precise  # track each key's file: needed for the review rule
        self._parsed: dict[str, Content] = {}
        self._precise: dict[str, Merged] = {}  # merged with origins, for the tools
        self._warned: set[str] = set()
        self.locales_available = frozenset(
            name for name in documents if "/" not in name and name not in NOT_LOCALES
        )

    @property
    def available(self) -> frozenset[str]:
        return self.locales_available

    def content(self, locale: str) -> Content:
        """One locale's content; raises ``ContentError`` if it is broken."""
        parsed = self._parsed.get(locale)
        if parsed is None:
            parsed = self._parsed[locale] = self._parse(locale, precise=self._precise_parse)
        return parsed

    def _parse(self, locale: str, *, precise: bool = False) -> Content:
        problems: list[str] = []
        merged = merge_chain(self._documents, locale, problems, track_origins=precise)
        if merged is None:
            raise ContentError(problems)
        parser = Parser(
            merged,
            display_name(locale),
            clinic=self.clinic_for(locale),
            sources=self._documents.get(SOURCES_FILE, {}),
            triage=self.triage_for(locale, problems),
        )
        result = parser.content(locale)
        if result is None or problems:
            if not precise:  # say exactly which file holds each mistake
                return self._parse(locale, precise=True)
            raise ContentError(problems + parser.problems)
        return result

    def clinic_for(self, locale: str) -> dict[str, Any]:
        """The clinic's details with what differs for this locale (or its parents)."""
        clinic = self._documents.get(CLINIC_FILE, {})
        details = {k: v for k, v in clinic.items() if k != "locales"}
        overrides = clinic.get("locales") or {}
        for name in reversed(self._chain(locale)):
            local = overrides.get(name) if isinstance(overrides, Mapping) else None
            if isinstance(local, Mapping):
                details = deep_merge(details, local, None, "clinic.yaml", ())
        return details

    def triage_for(self, locale: str, problems: list[str]) -> dict[str, Any] | None:
        """The first triage file along the locale's chain, merged over its own bases."""
        for name in self._chain(locale):
            if f"{TRIAGE_DIR}/{name}" in self._documents:
                rules = merge_chain(self._documents, f"{TRIAGE_DIR}/{name}", problems)
                return None if rules is None else rules.document
        return None

    def _chain(self, locale: str) -> list[str]:
        """The locale, then what it extends, to the base."""
        chain: list[str] = []
        current: object = locale
        while isinstance(current, str) and current in self._documents and current not in chain:
            chain.append(current)
            current = self._documents[current].get("extends")
        return chain

    def origin_of(self, locale: str, path: str) -> str:
        """The file that holds ``path`` (a dotted key) in this locale's merged content."""
        merged = self._precise.get(locale)
        if merged is None:
            merged = merge_chain(self._documents, locale, [], track_origins=True)
            if merged is None:
                return display_name(locale)
            self._precise[locale] = merged
        keys = tuple(re.sub(r"\[\d+\]", "", path).split("."))
        return merged.origin(keys, display_name(locale))

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


def load_library(content_dir: Path, *, validate_all: bool = True) -> ContentLibrary:
    """The content in ``content_dir``; raises ``ContentError`` naming every problem.

    ``validate_all`` parses every locale now and reports all their problems together, each
    once (``check``, CI, tests); without it only the default locale is parsed up front and
    the others when first asked for (the cold-start path).
    """
    documents = read_documents(content_dir)
    return library_from(documents, validate_all=validate_all)


def library_from(documents: Documents, *, validate_all: bool) -> ContentLibrary:
    problems = list(documents.problems)
    library = ContentLibrary(documents.by_name, precise=validate_all)
    if DEFAULT_LOCALE not in library.available:
        problems.append(f"{DEFAULT_LOCALE}.yaml: missing; it is the fallback for every request")
    if problems and not validate_all:
        raise ContentError(problems)
    for locale in sorted(library.available) if validate_all else [DEFAULT_LOCALE]:
        try:
            library.content(locale)
        except ContentError as error:
            problems.extend(p for p in error.problems if p not in problems)
    if problems:
        raise ContentError(problems)
    return library
