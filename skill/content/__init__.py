"""The clinic's content: YAML files loaded once per process into validated, typed records.

``content/en.yaml`` is the English base; ``content/<locale>.yaml`` overlays say what differs
(phone lines, local words); ``content/clinic.yaml`` holds the clinic's details,
``content/sources.yaml`` the sources answers cite, ``content/triage/`` the safety rules.

The records and ``open_library`` are what the runtime needs and are imported here. The
YAML reader, merger and parser (``ContentLibrary``, ``load_library``, the text walkers) are
for checkouts and tools, and are imported the first time one of them is named
(PEP 562), so a Lambda cold start reading the snapshot never pays for them.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

from skill.content.base import INTERNATIONAL, ContentError, Library
from skill.content.records import (
    PENDING,
    PLACEHOLDER,
    Answer,
    Clinic,
    Content,
    Line,
    Review,
    Source,
    Topic,
)
from skill.content.snapshot import SNAPSHOT_DIR, open_snapshot
from skill.settings import DEFAULT_LOCALE

if TYPE_CHECKING:
    from skill.content.library import ContentLibrary, load_library
    from skill.content.parser import all_answers, answer_texts, content_texts

_LAZY = {
    "ContentLibrary": "skill.content.library",
    "load_library": "skill.content.library",
    "all_answers": "skill.content.parser",
    "answer_texts": "skill.content.parser",
    "content_texts": "skill.content.parser",
}

__all__ = [
    "INTERNATIONAL",
    "PENDING",
    "PLACEHOLDER",
    "SNAPSHOT_DIR",
    "Answer",
    "Clinic",
    "Content",
    "ContentError",
    "ContentLibrary",
    "Library",
    "Line",
    "Review",
    "Source",
    "Topic",
    "all_answers",
    "answer_texts",
    "content_texts",
    "load_library",
    "open_library",
]


def open_library(content_dir: str | os.PathLike[str]) -> Library:
    """The content the skill serves: the bundle's snapshot, else the YAML (a checkout).

    Raises ``ContentError`` naming every problem of the default locale.
    """
    snapshot = open_snapshot(content_dir)
    if snapshot is not None:
        snapshot.content(DEFAULT_LOCALE)  # a broken snapshot fails the cold start
        return snapshot
    from pathlib import Path

    from skill.content.library import load_library

    return load_library(Path(content_dir), validate_all=False)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
