"""The content loader fails loudly and precisely; the shipped content loads in every locale."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import yaml

from skill.content import SNAPSHOT_DIR, ContentError, load_library, open_library
from skill.content.snapshot import SnapshotLibrary
from skill.settings import PROJECT_DIR, Settings
from skill.speech import plain
from skill.tools.check import run_checks
from skill.tools.compile import write_snapshot

CONTENT_DIR = PROJECT_DIR / "content"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN", "en-NZ", "en-001")


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns(SNAPSHOT_DIR))
    return target


def _edit(path: Path, change: object) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert callable(change)
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _problems(content_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_library(content_dir)
    return caught.value.problems


def test_shipped_content_loads_every_locale() -> None:
    library = load_library(CONTENT_DIR)
    assert set(LOCALES) == set(library.locales)


@pytest.mark.parametrize(
    ("locale", "emergency", "crisis"),
    [
        ("en-US", "911", "988"),
        ("en-CA", "911", "988"),
        ("en-GB", "999", "116 123"),
        ("en-AU", "000", "13 11 14"),
        ("en-NZ", "111", "1737"),
        ("en-IN", "112", "14416"),
    ],
)
def test_each_locale_has_its_own_lines(locale: str, emergency: str, crisis: str) -> None:
    content = load_library(CONTENT_DIR).content(locale)
    assert content.lines["emergency"].number == emergency
    assert content.lines["crisis"].number == crisis


def test_a_locale_line_replaces_its_parents_line_whole() -> None:
    """New Zealand extends Australia, but never keeps Australia's spoken "thirteen eleven"."""
    library = load_library(CONTENT_DIR)
    assert library.content("en-AU").lines["crisis"].spoken == "thirteen eleven fourteen"
    new_zealand = library.content("en-NZ")
    assert new_zealand.lines["crisis"].spoken is None
    assert new_zealand.lines["emergency"].spoken is None
    assert "urgent" not in new_zealand.lines  # healthdirect is Australian


def test_international_english_names_no_number_it_cannot_know() -> None:
    content = load_library(CONTENT_DIR).content("en-001")
    assert content.international
    for key, answer in content.safety.items():
        if key == "see_doctor_today":  # said right after the number, in the emergency check
            continue
        text = plain(answer.first, content)
        assert not any(number in text for number in ("911", "999", "000", "112", "988"))
        assert "your local emergency number" in text


def test_unsupported_locales_get_international_english_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    library = load_library(CONTENT_DIR)
    with caplog.at_level(logging.WARNING):
        assert library.for_locale("en-ZA").locale == "en-001"
        assert library.for_locale("de-DE").locale == "en-001"
    assert any("nearest" in record.getMessage() for record in caplog.records)
    assert library.for_locale(None).locale == "en-US"


def test_the_clinic_number_is_read_as_each_country_dials_it() -> None:
    library = load_library(CONTENT_DIR)
    assert library.content("en-US").clinic.phone == "(212) 555-0142"
    assert library.content("en-GB").clinic.phone == "+1 212-555-0142"


def test_a_missing_key_is_named_once_against_its_file(content_copy: Path) -> None:
    _edit(content_copy / "en.yaml", lambda d: d["topics"]["aura"].pop("sources"))
    problems = [p for p in _problems(content_copy) if "topics.aura.sources" in p]
    assert problems == ["en.yaml: topics.aura.sources: must list at least one source id"]


def test_a_problem_in_an_overlay_is_named_against_the_overlay(content_copy: Path) -> None:
    _edit(content_copy / "en-GB.yaml", lambda d: d["words"].update(doctor=""))
    _edit(
        content_copy / "en-GB.yaml",
        lambda d: d["safety"]["urgent_same_day"].update(first="Call {gp_surgery} today."),
    )
    problems = _problems(content_copy)
    assert any(
        p.startswith("en-GB.yaml: safety.urgent_same_day.first: unknown placeholder {gp_surgery}")
        for p in problems
    )


def test_unknown_source_ids_are_refused(content_copy: Path) -> None:
    _edit(content_copy / "en.yaml", lambda d: d["topics"]["aura"].update(sources=["wikipedia"]))
    assert any("'wikipedia' is not in sources.yaml" in p for p in _problems(content_copy))


def test_a_line_number_must_be_digits(content_copy: Path) -> None:
    _edit(
        content_copy / "en-GB.yaml",
        lambda d: d["lines"]["emergency"].update(number="nine nine nine"),
    )
    assert any("en-GB.yaml: lines.emergency.number" in p for p in _problems(content_copy))


def test_a_locale_without_a_crisis_line_is_refused(content_copy: Path) -> None:
    _edit(content_copy / "en-IN.yaml", lambda d: d["lines"].pop("crisis"))
    _edit(content_copy / "en.yaml", lambda d: d.setdefault("lines", {}))
    assert any(
        "lines.crisis: every locale must have this line" in p for p in _problems(content_copy)
    )


def test_yaml_syntax_error_is_one_clear_line(content_copy: Path) -> None:
    (content_copy / "en.yaml").write_text("topics: [unclosed\n", encoding="utf-8")
    problems = _problems(content_copy)
    assert any(p.startswith("en.yaml: is not valid YAML at line") for p in problems)


def test_a_bad_date_is_one_clear_line(content_copy: Path) -> None:
    path = content_copy / "en.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "written_on: 2026-11-20", "written_on: 2026-13-45", 1
        ),
        encoding="utf-8",
    )
    problems = _problems(content_copy)
    assert any("written_on: '2026-13-45' is not a real date" in p for p in problems), problems


def test_a_misspelt_message_key_is_reported(content_copy: Path) -> None:
    _edit(content_copy / "en.yaml", lambda d: d["messages"].update(goodby="Bye."))
    assert any("messages.goodby: is not a message" in p for p in _problems(content_copy))


def test_overlay_must_extend_an_existing_base(content_copy: Path) -> None:
    (content_copy / "en-IE.yaml").write_text("extends: english\nlocale: en-IE\n", encoding="utf-8")
    assert any("en-IE.yaml: extends 'english'" in p for p in _problems(content_copy))


def test_shipped_answers_say_honestly_that_review_is_pending() -> None:
    """No clinician has reviewed the example content, and nothing claims one did."""
    for content in load_library(CONTENT_DIR).locales.values():
        for answer in (*content.safety.values(), *(t.answer for t in content.topics.values())):
            assert answer.sources, answer.key
            assert answer.review.pending, answer.key
            assert answer.review.card_line() is None


def test_a_review_record_needs_a_reviewer_and_dates(content_copy: Path) -> None:
    _edit(
        content_copy / "en.yaml",
        lambda d: d["topics"]["aura"].update(review={"reviewed_on": "2026-11-30"}),
    )
    assert any(
        "topics.aura.review.reviewed_by: must name the clinician" in p
        for p in _problems(content_copy)
    )


#: A clinician's review as the clinic would record it.
A_REVIEW = {
    "reviewed_by": "Dr A. Example",
    "reviewed_on": "2026-11-30",
    "next_review": "2027-11-30",
}


def test_a_review_covers_only_the_text_it_saw(content_copy: Path) -> None:
    _edit(content_copy / "en.yaml", lambda d: d["topics"]["aura"].update(review=dict(A_REVIEW)))
    load_library(content_copy)  # a real review of the base text: fine
    _edit(
        content_copy / "en-GB.yaml",
        lambda d: d.setdefault("topics", {}).update(
            aura={"first": "An aura is a warning, in British."}
        ),
    )
    problems = _problems(content_copy)
    assert any(
        p.startswith(
            "en-GB.yaml: topics.aura.review: the review in en.yaml is not of this locale's first"
        )
        for p in problems
    ), problems


def test_a_reviewed_answer_says_so_on_its_card(content_copy: Path) -> None:
    _edit(content_copy / "en.yaml", lambda d: d["topics"]["aura"].update(review=dict(A_REVIEW)))
    aura = load_library(content_copy).content("en-US").topics["aura"].answer
    assert aura.review.card_line() == "Reviewed by Dr A. Example on 30 November 2026."


def test_the_snapshot_is_the_same_library(content_copy: Path) -> None:
    """The Lambda bundle reads the snapshot instead of the YAML: the same records."""
    from_yaml = load_library(content_copy)
    write_snapshot(content_copy)
    for path in [*content_copy.glob("*.yaml"), *content_copy.glob("triage/*.yaml")]:
        path.unlink()  # prove the YAML is not read
    from_snapshot = open_library(content_copy)
    assert isinstance(from_snapshot, SnapshotLibrary)
    assert from_snapshot.available == from_yaml.available
    for locale in sorted(from_yaml.available):
        a, b = from_yaml.content(locale), from_snapshot.content(locale)
        assert a._replace(triage=b.triage) == b, locale
        assert a.triage.document == b.triage.document
    assert from_snapshot.for_locale("en-ZA").locale == "en-001"
    verdict = from_snapshot.for_locale("en-GB").triage.assess("i want to kill myself")
    assert verdict.level == "crisis"


def test_a_snapshot_for_other_records_is_refused(content_copy: Path) -> None:
    snapshot = write_snapshot(content_copy)
    index = json.loads((snapshot / "index.json").read_text(encoding="utf-8"))
    index["records"]["Answer"].append("spoken_by")
    (snapshot / "index.json").write_text(json.dumps(index), encoding="utf-8")
    with pytest.raises(ContentError, match="written for other records"):
        open_library(content_copy)


def test_an_unreadable_snapshot_locale_falls_back_to_the_default(content_copy: Path) -> None:
    snapshot = write_snapshot(content_copy)
    (snapshot / "en-GB.json").write_text("{", encoding="utf-8")
    library = open_library(content_copy)
    assert library.for_locale("en-GB").locale == "en-US"


def test_stale_snapshot_fails_the_check(content_copy: Path) -> None:
    write_snapshot(content_copy)
    _edit(content_copy / "en.yaml", lambda d: d["messages"].update(goodbye="Bye now."))
    report = run_checks(Settings(content_dir=content_copy))
    assert (
        f"content: {SNAPSHOT_DIR}/ is older than the YAML; rebuild or delete it" in report.problems
    )


def test_a_broken_locale_falls_back_at_run_time_but_fails_the_check(content_copy: Path) -> None:
    _edit(content_copy / "en-GB.yaml", lambda d: d["lines"]["emergency"].update(number="99"))
    assert any("en-GB.yaml: lines.emergency.number" in p for p in _problems(content_copy))
    library = load_library(content_copy, validate_all=False)  # the cold-start path
    assert library.for_locale("en-GB").locale == "en-US"


def test_a_locales_own_review_covers_the_words_it_keeps_from_its_base(content_copy: Path) -> None:
    review = {
        "reviewed_by": "Dr B. Example",
        "reviewed_on": "2026-11-30",
        "next_review": "2027-11-30",
    }
    _edit(
        content_copy / "en-GB.yaml",
        lambda d: d.setdefault("topics", {}).update(
            aura={"first": "An aura is a warning, in British.", "review": review}
        ),
    )
    aura = load_library(content_copy).content("en-GB").topics["aura"].answer
    assert aura.review.reviewed_by == "Dr B. Example"  # its title, from en.yaml, was seen too


def test_a_text_changed_after_its_review_is_stale() -> None:
    import datetime as dt

    from skill.content import Review

    content = load_library(CONTENT_DIR).content("en-US")
    aura = content.topics["aura"].answer
    reviewed = aura._replace(
        review=Review("Dr A. Example", aura.written_on - dt.timedelta(days=1), dt.date(2099, 1, 1))
    )
    assert reviewed.stale(dt.date(2026, 12, 1))
    on_the_day = reviewed.review.reviewed_on
    assert on_the_day is not None
    assert not reviewed._replace(written_on=on_the_day).stale(dt.date(2026, 12, 1))
