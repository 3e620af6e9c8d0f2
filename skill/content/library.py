"""The content read from its YAML files and validated: what a checkout and the tools use.

Each locale is merged and parsed the first time it is asked for. ``check``, CI and the
package step validate them all at once (``load_library(validate_all=True)``), so nothing
broken ships; the package step then writes the parsed records as a snapshot
(``skill/content/snapshot.py``) that the Lambda bundle reads instead.

New Zealand has content of its own (111, not 000 or 911), served with the Australian
interaction model, as Alexa does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skill.content.base import ContentError, Library
from skill.content.documents import (
    BASE,
    CLINIC_FILE,
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

NOT_LOCALES = frozenset({BASE, CLINIC_FILE, SOURCES_FILE})
__all__ = ["ContentError", "ContentLibrary", "library_from", "load_library"]


class ContentLibrary(Library):
    """Every locale's content, parsed from the documents on first use."""

    def __init__(self, documents: Mapping[str, dict[str, Any]], *, precise: bool = False) -> None:
        super().__init__(
            frozenset(name for name in documents if "/" not in name and name not in NOT_LOCALES)
        )
        self._documents = documents
        self._precise_parse = precise  # track each key's file: needed for the review rule
        self._precise: dict[str, Merged] = {}  # merged with origins, for the tools

    def _load(self, locale: str) -> Content:
        return self._parse(locale, precise=self._precise_parse)

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
