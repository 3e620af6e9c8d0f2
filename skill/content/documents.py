"""Reading the content files, and merging each locale's overlay over its base.

Every key of a merged document remembers the file it came from, so that a mistake is
reported once, against the file and key that hold it ("en.yaml: topics.aura.first: ..."),
however many locales inherit it. Dates stay text here and are checked by the parser, so a
bad date is one clear line rather than a traceback from the YAML library.

The Lambda bundle never reads these: it reads the records the package step validated
(``skill/content/snapshot.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

CLINIC_FILE = "clinic"
SOURCES_FILE = "sources"
TRIAGE_DIR = "triage"
#: The base every English locale extends.
BASE = "en"

Origins = dict[tuple[str, ...], str]
#: Mappings whose entries replace the parent's whole, never merge into it: a locale's
#: crisis line must not keep another country's "spoken" form of its number.
ATOMIC = frozenset({("lines",)})


class Documents(NamedTuple):
    """The raw documents by name ("en", "en-GB", "triage/en", "clinic", "sources")."""

    by_name: dict[str, dict[str, Any]]
    problems: list[str]


class Merged(NamedTuple):
    """One locale's merged document, and which file each key path came from."""

    document: dict[str, Any]
    origins: Origins
    chain: tuple[str, ...] = ()  # its files, base first ("en.yaml", "en-AU.yaml", ...)

    def later(self, first: str, second: str) -> bool:
        """Whether file ``first`` comes after ``second`` in the chain (more specific)."""
        order = {name: index for index, name in enumerate(self.chain)}
        return order.get(first, -1) > order.get(second, -1)

    def origin(self, path: tuple[str, ...], default: str) -> str:
        """The file that holds ``path`` (or the nearest of its parents)."""
        for length in range(len(path), 0, -1):
            found = self.origins.get(path[:length])
            if found is not None:
                return found
        return default


def read_documents(content_dir: Path) -> Documents:
    """The YAML files: ``*.yaml`` (answers, clinic, sources) and ``triage/*.yaml``."""
    loader = _text_dates_loader()
    by_name: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    paths = sorted(content_dir.glob("*.yaml")) + sorted((content_dir / TRIAGE_DIR).glob("*.yaml"))
    for path in paths:
        name = path.stem if path.parent == content_dir else f"{TRIAGE_DIR}/{path.stem}"
        try:
            loaded = _load_yaml(path, loader)
        except ValueError as error:
            problems.append(f"{display_name(name)}: {error}")
            continue
        if not isinstance(loaded, dict):
            problems.append(f"{display_name(name)}: must be a mapping of keys, not {kind(loaded)}")
            continue
        by_name[name] = loaded
    return Documents(by_name, problems)


def display_name(name: str) -> str:
    """A document's file, as people know it: "en-GB.yaml", "triage/en.yaml"."""
    return f"{name}.yaml"


def _load_yaml(path: Path, loader: Any) -> Any:
    import yaml  # only the checkout path reads YAML: it costs ~15 ms to import

    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot be read ({one_line(error)})") from error
    except yaml.MarkedYAMLError as error:
        # where the unclosed bracket or quote began, if the parser says, else where it gave up
        mark = error.context_mark or error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = error.problem or str(error)
        context = f" ({error.context})" if error.context else ""
        raise ValueError(f"is not valid YAML{where}: {what}{context}") from error
    except yaml.YAMLError as error:
        raise ValueError(f"is not valid YAML ({one_line(error)})") from error


def _text_dates_loader() -> Any:
    """A safe loader that leaves dates as text (the parser checks them, one line each)."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class TextDatesLoader(base):  # type: ignore[valid-type, misc]
        pass

    TextDatesLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return TextDatesLoader


def merge_chain(
    by_name: Mapping[str, Mapping[str, Any]],
    name: str,
    problems: list[str],
    *,
    track_origins: bool = True,
) -> Merged | None:
    """``name`` deep-merged over the documents it ``extends``, base first.

    ``track_origins=False`` skips the bookkeeping behind precise error messages: the cold
    start path, which re-merges with it only if the content turns out to be broken.
    """
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current in chain:
            problems.append(f"{display_name(name)}: extends itself through {' -> '.join(chain)}")
            return None
        document = by_name.get(current)
        if document is None:
            parent = chain[-1] if chain else name
            problems.append(f"{display_name(parent)}: extends '{current}', which does not exist")
            return None
        chain.append(current)
        parent_name = document.get("extends")
        current = None if parent_name is None else _sibling(current, str(parent_name))
    merged: dict[str, Any] = {}
    origins: Origins | None = {} if track_origins else None
    for document_name in reversed(chain):
        overlay = {k: v for k, v in by_name[document_name].items() if k != "extends"}
        merged = deep_merge(merged, overlay, origins, display_name(document_name), ())
    return Merged(merged, origins or {}, tuple(display_name(n) for n in reversed(chain)))


def _sibling(current: str, parent: str) -> str:
    """``extends: en`` inside ``triage/en-GB`` means ``triage/en``."""
    folder, _, _ = current.rpartition("/")
    return f"{folder}/{parent}" if folder else parent


def deep_merge(
    base: Mapping[str, Any],
    overlay: Mapping[str, Any],
    origins: Origins | None,
    origin: str,
    path: tuple[str, ...],
) -> dict[str, Any]:
    """Mappings merge (except under ``ATOMIC``); anything else replaces what the base had."""
    merged = dict(base)
    for key, value in overlay.items():
        here = (*path, str(key))
        mergeable = path not in ATOMIC
        if mergeable and isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value, origins, origin, here)
            continue
        if origins is not None:
            if key in merged:  # what the base said under this key no longer counts
                for known in [p for p in origins if p[: len(here)] == here]:
                    del origins[known]
            _record(value, here, origins, origin)
        merged[key] = value
    return merged


def _record(value: Any, path: tuple[str, ...], origins: Origins, origin: str) -> None:
    origins[path] = origin
    if isinstance(value, Mapping):
        for key, child in value.items():
            _record(child, (*path, str(key)), origins, origin)


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
