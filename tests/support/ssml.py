"""Bridge to ssml-check-core (npm), a real Alexa SSML validator, run offline in one process."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("ssml_check.js")


def validate_ssml(documents: Sequence[str]) -> list[Any]:
    """For each SSML document: None when Alexa-valid, else ssml-check-core's errors."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ssml-check-core").is_dir():
        raise RuntimeError("node and `npm ci` are needed: run `make setup`")
    completed = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(list(documents)),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    results: list[Any] = json.loads(completed.stdout)
    return results
