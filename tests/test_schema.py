"""The JSON Schemas that let an editor check the clinic's YAML as they type, kept in sync.

Each content file names its schema in a first-line comment the YAML language server reads
(``# yaml-language-server: $schema=...``); these tests prove every shipped file passes its
schema, that the schemas and the content parser know exactly the same fields, and that a
schema catches the mistakes it is there for.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from skill.content import parser
from skill.content.documents import read_documents
from skill.settings import PROJECT_DIR

CONTENT_DIR = PROJECT_DIR / "content"
SCHEMA_DIR = CONTENT_DIR / "schema"


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(loaded)
    return loaded


def _schema_for(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    modeline = r"# yaml-language-server: \$schema=(?:\.\./)?schema/(\w+)\.schema\.json"
    match = re.fullmatch(modeline, first)
    assert match, f"{path.name}: the first line must name its schema for the YAML language server"
    return match.group(1)


def _documents() -> list[tuple[Path, Any]]:
    documents = read_documents(CONTENT_DIR)
    assert documents.problems == []
    paths = sorted(CONTENT_DIR.glob("*.yaml")) + sorted((CONTENT_DIR / "triage").glob("*.yaml"))
    found = []
    for path in paths:
        name = path.stem if path.parent == CONTENT_DIR else f"triage/{path.stem}"
        found.append((path, documents.by_name[name]))
    return found


@pytest.mark.parametrize(("path", "document"), _documents(), ids=lambda v: getattr(v, "name", ""))
def test_every_content_file_passes_its_schema(path: Path, document: Any) -> None:
    errors = sorted(Draft202012Validator(schema(_schema_for(path))).iter_errors(document), key=str)
    assert [f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors] == []


def test_the_schema_knows_the_fields_the_parser_knows() -> None:
    locale = schema("locale")
    assert set(locale["properties"]) - {"extends"} == parser.DOCUMENT_FIELDS
    assert set(locale["properties"]["messages"]["properties"]) == parser.MESSAGE_KEYS
    lines = set(locale["properties"]["lines"]["properties"])
    assert lines == {*parser.REQUIRED_LINES, *parser.OPTIONAL_LINES}
    line = locale["$defs"]["line"]["oneOf"][1]["properties"]
    assert set(line) == parser.LINE_FIELDS
    assert set(locale["$defs"]["answer"]["properties"]) == parser.ANSWER_FIELDS
    assert set(locale["$defs"]["safety_answer"]["properties"]) == parser.SAFETY_FIELDS
    assert set(locale["$defs"]["topic"]["properties"]) == parser.TOPIC_FIELDS


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("locale", {"messages": {"goodby": "Bye."}}),
        ("locale", {"topics": {"aura": {"frist": "An aura is..."}}}),
        ("locale", {"topics": {"aura": {"review": {"reviewed_on": "2026-11-30"}}}}),
        ("locale", {"lines": {"emergency": {"number": "nine nine nine"}}}),
        (
            "clinic",
            {"name": "Clinic", "phone": "555 0142", "hours": "9 to 5", "website": "https://x"},
        ),
        (
            "clinic",
            {"name": "Clinic", "phone": "+1 212 555 0142", "hours": "9-5", "website": "https://x"},
        ),
        (
            "clinic",
            {
                "name": "Clinic",
                "phone": "+1 212 555 0142",
                "hours": "9 to 5",
                "website": "http://x",
            },
        ),
        ("triage", {"rules": [{"id": "x", "level": "maybe", "when": "fever"}]}),
    ],
)
def test_a_schema_catches_the_mistakes_it_is_for(name: str, document: Any) -> None:
    assert list(Draft202012Validator(schema(name)).iter_errors(document))


def test_the_parser_names_an_unknown_field_too(tmp_path: Path) -> None:
    import shutil

    import yaml

    from skill.content import ContentError, load_library

    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    path = target / "en.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["topics"]["aura"]["frist"] = "An aura is..."
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_library(target)
    assert "en.yaml: topics.aura.frist: is not a field here (a typo?)" in caught.value.problems
