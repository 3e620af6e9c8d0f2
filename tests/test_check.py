"""``python -m skill check`` passes on the repo and names each problem it finds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from skill.settings import PROJECT_DIR, Settings
from skill.tools.check import run_checks, ssml_problems

MODEL = "interactionModels/custom/en-US.json"


def _copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "interaction_model"
    shutil.copytree(PROJECT_DIR / "interaction_model", target)
    return target


def test_check_passes_on_the_repository() -> None:
    assert run_checks(Settings()) == []


def test_check_cross_checks_intents_and_content(tmp_path: Path) -> None:
    model_dir = _copy_model(tmp_path)
    path = model_dir / MODEL
    model = json.loads(path.read_text(encoding="utf-8"))
    language_model = model["interactionModel"]["languageModel"]
    language_model["intents"] = [i for i in language_model["intents"] if i["name"] != "AuraIntent"]
    language_model["intents"].append({"name": "HoroscopeIntent", "samples": ["my horoscope"]})
    trigger = next(t for t in language_model["types"] if t["name"] == "TRIGGER")
    trigger["values"].append({"id": "cheese_on_toast", "name": {"value": "cheese on toast"}})
    help_intent = next(i for i in language_model["intents"] if i["name"] == "CausesIntent")
    help_intent["samples"].append("what triggers migraines")
    path.write_text(json.dumps(model), encoding="utf-8")

    problems = run_checks(Settings(model_dir=model_dir))
    assert any("intent AuraIntent is handled but missing" in p for p in problems)
    assert any("intent HoroscopeIntent has no handler" in p for p in problems)
    assert any("value 'cheese_on_toast' has no topics.triggers.items" in p for p in problems)
    assert any("'what triggers migraines' appears also in" in p for p in problems)


def test_ssml_problems_are_found() -> None:
    assert ssml_problems("<speak>fine</speak>") == []
    assert ssml_problems("<speak>a & b</speak>")
    assert ssml_problems("<speak><audio src='x'/></speak>")
    assert ssml_problems("<speak>" + "a" * 8000 + "</speak>")


def test_check_command_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "skill", "check"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    broken = tmp_path / "content"
    shutil.copytree(PROJECT_DIR / "content", broken)
    (broken / "en.yaml").write_text("skill_name: Migraine Helper\n", encoding="utf-8")
    failed = subprocess.run(
        [sys.executable, "-m", "skill", "check"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={"SKILL_CONTENT_DIR": str(broken), "PATH": ""},
        check=False,
    )
    assert failed.returncode == 1
    assert "clinic: must be a mapping" in failed.stderr
