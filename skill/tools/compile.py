"""The content's snapshot (``content/compiled/``) for the Lambda bundle, and its freshness.

The YAML is validated with every rule first (``load_library``), and then the snapshot is
read back and compared record by record, so what ships is exactly what was checked. The
clinic's phone number is formatted for each locale's callers here, with ``phonenumbers``,
which the bundle does not carry.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from skill.content import SNAPSHOT_DIR, ContentError, load_library, open_library
from skill.content.snapshot import snapshot_files


def write_snapshot(content_dir: Path, target_dir: Path | None = None) -> Path:
    """Validate the YAML in ``content_dir`` and write its snapshot; returns the snapshot dir.

    The snapshot goes into ``target_dir`` (default: ``content_dir``) under ``compiled/``.
    Raises ``ContentError`` naming every problem; nothing is written then.
    """
    library = load_library(content_dir)  # validates every locale first
    files = snapshot_files(library)
    with tempfile.TemporaryDirectory() as scratch:  # read back exactly what will ship
        staged = Path(scratch) / SNAPSHOT_DIR
        _write(staged, files)
        from_snapshot = open_library(Path(scratch))
        for locale in sorted(library.available):
            expected, found = library.content(locale), from_snapshot.content(locale)
            same_rules = expected.triage.document == found.triage.document
            if not same_rules or expected._replace(triage=found.triage) != found:
                raise ContentError([f"{SNAPSHOT_DIR}/{locale}.json: does not read back the same"])
        target = (target_dir or content_dir) / SNAPSHOT_DIR
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(staged, target)
    return target


def stale_snapshot(content_dir: Path) -> bool:
    """Whether ``content_dir`` holds a snapshot that no longer matches its YAML."""
    snapshot = content_dir / SNAPSHOT_DIR
    if not snapshot.is_dir():
        return False
    fresh = snapshot_files(load_library(content_dir))
    present = {path.name: path.read_text(encoding="utf-8") for path in snapshot.glob("*.json")}
    return present != fresh


def _write(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
