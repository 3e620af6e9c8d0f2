"""The content as one validated JSON file (``content/compiled.json``) for the Lambda bundle.

A cold start then reads JSON instead of importing and parsing YAML, and skips what only a
build can do: the clinic's phone number is formatted for each locale's callers here, with
``phonenumbers``, which the bundle does not carry.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from skill.content import COMPILED_NAME, ContentError, load_library
from skill.content.documents import CLINIC_FILE, Documents, read_yaml_documents
from skill.content.phone import local_form


def compiled_documents(content_dir: Path) -> dict[str, Any]:
    """The YAML documents, with each locale's clinic phone formatted for its callers."""
    documents: Documents = read_yaml_documents(content_dir)
    if documents.problems:
        raise ContentError(documents.problems)
    by_name = documents.by_name
    clinic = dict(by_name.get(CLINIC_FILE, {}))
    library = load_library(content_dir)  # validates everything first
    overrides = dict(clinic.get("locales") or {})
    for locale in sorted(library.available):
        content = library.content(locale)
        details = library.clinic_for(locale)
        phone = details.get("phone")
        if isinstance(phone, str) and content.country:
            local = dict(overrides.get(locale) or {})
            local["phone_local"] = local_form(phone, content.country)
            overrides[locale] = local
    if overrides:
        clinic["locales"] = overrides
    return {**by_name, CLINIC_FILE: clinic}


def compile_content(content_dir: Path) -> str:
    """The YAML content, validated, as the JSON text of ``compiled.json``."""
    compiled = json.dumps(
        compiled_documents(content_dir), default=_json_default, ensure_ascii=False, sort_keys=True
    )
    with tempfile.TemporaryDirectory() as scratch:  # validate exactly what will ship
        (Path(scratch) / COMPILED_NAME).write_text(compiled, encoding="utf-8")
        load_library(Path(scratch))
    return compiled


def _json_default(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in compiled content")
