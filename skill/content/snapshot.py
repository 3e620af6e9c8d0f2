"""The validated records of every locale as JSON, for the Lambda bundle's cold start.

The package step reads the YAML, validates it with every rule ``check`` knows, and writes
each locale's parsed records to ``content/compiled/<locale>.json``. A cold start then
reads one locale's JSON and rebuilds its records, without importing the YAML library, the
merger or the parser, and without validating again what was validated at build time
(``scripts/benchmark.py`` shows the difference). A checkout has no snapshot and reads the
YAML, so an edit is always seen; ``check`` fails a snapshot older than the YAML.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from typing import Any

from skill.content.base import ContentError, Library
from skill.content.records import (
    Answer,
    Clinic,
    Content,
    Line,
    Review,
    Source,
    Topic,
)
from skill.verdicts import LazyRules

SNAPSHOT_DIR = "compiled"
INDEX_NAME = "index.json"


def record_fields() -> dict[str, list[str]]:
    """Each record's fields: a snapshot written for other records is refused, not misread."""
    records = (Answer, Clinic, Content, Line, Review, Source, Topic)
    return {record.__name__: list(record._fields) for record in records}


class SnapshotLibrary(Library):
    """The records in a snapshot directory, one locale read on first use."""

    def __init__(self, directory: str, available: frozenset[str]) -> None:
        super().__init__(available)
        self._directory = directory

    def _load(self, locale: str) -> Content:
        path = os.path.join(self._directory, f"{locale}.json")
        try:
            with open(path, encoding="utf-8") as file:
                return content_from_plain(json.load(file))
        except (OSError, ValueError, KeyError, TypeError) as error:
            problem = f"{SNAPSHOT_DIR}/{locale}.json: cannot be read ({type(error).__name__})"
            raise ContentError([problem]) from error


def open_snapshot(content_dir: str | os.PathLike[str]) -> SnapshotLibrary | None:
    """The snapshot in ``content_dir``, or None where there is none (a checkout)."""
    directory = os.path.join(content_dir, SNAPSHOT_DIR)
    try:
        with open(os.path.join(directory, INDEX_NAME), encoding="utf-8") as file:
            index = json.load(file)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ContentError([f"{SNAPSHOT_DIR}/{INDEX_NAME}: cannot be read ({error})"]) from error
    if not isinstance(index, dict) or index.get("records") != record_fields():
        raise ContentError(
            [f"{SNAPSHOT_DIR}/{INDEX_NAME}: written for other records; rebuild the bundle"]
        )
    return SnapshotLibrary(directory, frozenset(index.get("locales") or ()))


# -- records to plain JSON values and back


def to_plain(value: Any) -> Any:
    """A record (or anything inside one) as JSON values: dates as ISO text, rules as data."""
    if isinstance(value, LazyRules):
        return to_plain(value.document)
    if hasattr(value, "_asdict"):
        return {key: to_plain(item) for key, item in value._asdict().items()}
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = sorted(value) if isinstance(value, frozenset | set) else value
        return [to_plain(item) for item in items]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def snapshot_files(library: Library) -> dict[str, str]:
    """Every file of the snapshot of ``library``, by name, as text."""
    files: dict[str, str] = {}
    for locale, content in library.locales.items():
        plain = to_plain(content)
        del plain["topics_by_intent"]  # the topics again, by intent: rebuilt when read
        files[f"{locale}.json"] = json.dumps(plain, ensure_ascii=False, sort_keys=True)
    index = {"locales": sorted(library.available), "records": record_fields()}
    files[INDEX_NAME] = json.dumps(index, sort_keys=True, indent=1)
    return files


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _review(plain: Mapping[str, Any]) -> Review:
    return Review(plain["reviewed_by"], _date(plain["reviewed_on"]), _date(plain["next_review"]))


def _answer(plain: Mapping[str, Any]) -> Answer:
    return Answer(
        key=plain["key"],
        name=plain["name"],
        title=plain["title"],
        first=plain["first"],
        more=tuple(plain["more"]),
        card=plain["card"],
        sources=tuple(plain["sources"]),
        written_on=dt.date.fromisoformat(plain["written_on"]),
        review=_review(plain["review"]),
        reprompt=plain["reprompt"],
    )


def _topic(plain: Mapping[str, Any]) -> Topic:
    return Topic(
        key=plain["key"],
        intent=plain["intent"],
        answer=_answer(plain["answer"]),
        slot=plain["slot"],
        unknown_item=plain["unknown_item"],
        items={key: _answer(item) for key, item in plain["items"].items()},
    )


def content_from_plain(plain: Mapping[str, Any]) -> Content:
    """The records ``to_plain`` wrote, rebuilt (the snapshot was validated when written)."""
    topics = {key: _topic(topic) for key, topic in plain["topics"].items()}
    return Content(
        locale=plain["locale"],
        country=plain["country"],
        international=plain["international"],
        skill_name=plain["skill_name"],
        clinic=Clinic(**plain["clinic"]),
        lines={key: Line(**line) for key, line in plain["lines"].items()},
        words=dict(plain["words"]),
        messages=dict(plain["messages"]),
        messages_review=_review(plain["messages_review"]),
        safety={key: _answer(answer) for key, answer in plain["safety"].items()},
        topics=topics,
        topics_by_intent={topic.intent: topic for topic in topics.values()},
        sources={key: Source(**source) for key, source in plain["sources"].items()},
        triage=LazyRules(plain["triage"]),
    )
