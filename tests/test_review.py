"""``python -m skill review``: the clinician's report holds every answer of every locale, as
spoken, with honest counts and review status, escaped, printable and free of scripts."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from skill.content import (
    PENDING,
    SNAPSHOT_DIR,
    Content,
    ContentLibrary,
    Review,
    all_answers,
    answer_texts,
)
from skill.settings import PROJECT_DIR
from skill.tools import cli
from skill.tools.review import DEFAULT_WORDS_PER_MINUTE, review_status, speaking_rate
from skill.tools.rules import spoken, word_count

CONTENT_DIR = PROJECT_DIR / "content"
TODAY = dt.date(2026, 12, 2)
SUMMARY = re.compile(
    r"review report: (\d+) answers in (\d+) locales, (\d+) pending review, (\d+) stale "
    r"\(interface messages: (\d+) pending, (\d+) stale\) -> (\S+index\.html)"
)
VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "source"})
REVIEWER = "Dr A. Name, neurologist"
HOSTILE_KEY = 'x"><script>alert(1)</script>'


class Page(HTMLParser):
    """What a page holds, and whether its tags nest as they should."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # (tag, is a digits span)
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.answers: list[str] = []  # data-key of each answer article, in order
        self.rows: dict[str, tuple[int, float, str]] = {}  # path -> words, seconds, text
        self.twice: list[str] = []  # paths shown more than once
        self.hrefs: list[str] = []
        self.tags: set[str] = set()
        self.langs: list[str] = []
        self._row: tuple[str, int, float] | None = None
        self._cell = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        self.tags.add(tag)
        digits = tag == "span" and attr.get("class") == "digits"
        if tag not in VOID:
            self.stack.append((tag, digits))
        if "id" in attr:
            self.ids.append(attr["id"])
        if "lang" in attr:
            self.langs.append(attr["lang"])
        if tag == "a":
            self.hrefs.append(attr.get("href", ""))
        if tag == "article" and "answer" in attr.get("class", "").split():
            self.answers.append(attr["data-key"])
        if tag == "tr" and "data-text" in attr:
            self._row = (attr["data-text"], int(attr["data-words"]), float(attr["data-seconds"]))
            self._cell = 0
            self._text = []
        if tag == "td" and self._row is not None:
            self._cell += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag == "tr" and self._row is not None:
            path, words, seconds = self._row
            if path in self.rows:
                self.twice.append(path)
            self.rows[path] = (words, seconds, "".join(self._text))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._cell == 1 and any(t == "td" for t, _ in self.stack):
            in_digits = any(digits for _, digits in self.stack)
            self._text.append(data.replace(" ", "") if in_digits else data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert not page.problems, (path.name, page.problems[:5])
    assert not page.stack, (path.name, page.stack[-5:])
    return page


def expected_texts(content: Content) -> dict[str, tuple[str, int]]:
    """Every spoken text of a locale by key path, with the rate it is spoken at."""
    texts: dict[str, tuple[str, int]] = {}
    for answer in all_answers(content):
        rate = 95 if answer.key.startswith("safety.") else 90
        for path, text in answer_texts(answer):
            if not path.endswith(".card"):
                texts[path] = (text, rate)
    for key, text in content.messages.items():
        texts[f"messages.{key}"] = (text, 90)
    for topic in content.topics.values():
        if topic.unknown_item is not None:
            texts[f"topics.{topic.key}.unknown_item"] = (topic.unknown_item, 90)
    return texts


def run_review(argv: list[str], content_dir: Path = CONTENT_DIR) -> tuple[int, str, str]:
    """``python -m skill review ...`` in this process (a new interpreter costs a second)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKILL_CONTENT_DIR", str(content_dir))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["review", *argv])
    return code, out.getvalue(), err.getvalue()


class Report(NamedTuple):
    out: Path
    stdout: str
    pages: dict[str, Page]  # each locale's page and the index, parsed


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The report on the real content, written where the command writes it by default."""
    root = tmp_path_factory.mktemp("review")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        code, stdout, stderr = run_review([])
    finally:
        os.chdir(cwd)
    assert code == 0, stderr
    out = root / "build" / "review"
    pages = {path.stem: parse(path) for path in out.glob("*.html") if path.name != "all.html"}
    return Report(out, stdout, pages)


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def _reviewed(on: str, following: str) -> dict[str, object]:
    return {
        "reviewed_by": REVIEWER,
        "reviewed_on": dt.date.fromisoformat(on),
        "next_review": dt.date.fromisoformat(following),
    }


def _edit_base(document: dict[str, Any]) -> None:
    topics = document["topics"]
    topics["triggers"]["review"] = _reviewed("2026-12-01", "2099-11-25")  # current: after its text
    topics["help"]["review"] = _reviewed("2025-01-10", "2026-01-10")  # next review passed
    topics["clinic"]["review"] = _reviewed("2026-06-01", "2099-06-01")  # text written later
    topics["clinic"]["written_on"] = dt.date(2026, 11, 20)
    document["messages_review"] = _reviewed("2026-11-25", "2099-11-25")
    aura = topics["aura"]
    aura["title"] = "Aura <img src=x onerror=alert(1)>"
    aura["first"] = "An aura <script>alert('aura')</script> & more."
    aura["card"] = "<script>card()</script>\nSecond line & third."
    aura["sources"] = [*aura["sources"], "hostile"]
    items = topics["triggers"]["items"]
    items[HOSTILE_KEY] = dict(items["chocolate"], title="<b>Bold</b> title")


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of content/ with one current, two stale and several hostile texts."""
    root = tmp_path_factory.mktemp("edited")
    content_dir = root / "content"
    shutil.copytree(CONTENT_DIR, content_dir, ignore=shutil.ignore_patterns(SNAPSHOT_DIR))
    _edit(content_dir / "en.yaml", _edit_base)
    _edit(
        content_dir / "sources.yaml",
        lambda d: d.update(hostile={"title": "<b>Hostile</b>", "url": "javascript:alert(1)"}),
    )
    out = root / "chosen"
    code, stdout, stderr = run_review(["--out", str(out)], content_dir)
    assert code == 0, stderr
    return out, stdout


# ----------------------------------------------------------------------------- the command


def test_the_command_writes_the_pages_and_prints_one_summary_line(
    report: Report, library: ContentLibrary
) -> None:
    lines = report.stdout.splitlines()
    assert len(lines) == 1
    match = SUMMARY.fullmatch(lines[0])
    assert match, lines[0]
    answers = sum(len(list(all_answers(c))) for c in library.locales.values())
    assert int(match[1]) == answers
    assert int(match[2]) == len(library.available)
    assert int(match[3]) == answers  # everything is pending today, and that is still exit 0
    assert int(match[5]) == len(library.available)  # each locale's messages, pending
    assert match[7] == "build/review/index.html"  # the default folder, under where it runs
    written = {path.name for path in report.out.glob("*.html")}
    assert written == {"index.html", "all.html", *(f"{loc}.html" for loc in library.available)}


def test_out_chooses_the_folder(edited: tuple[Path, str]) -> None:
    out, stdout = edited
    assert stdout.strip().endswith(f"-> {out / 'index.html'}")
    assert (out / "index.html").is_file() and (out / "all.html").is_file()


def test_broken_content_is_one_clear_error_not_a_report(tmp_path: Path) -> None:
    content_dir = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content_dir, ignore=shutil.ignore_patterns(SNAPSHOT_DIR))
    (content_dir / "en-GB.yaml").write_text("safety: [\n", encoding="utf-8")
    code, stdout, stderr = run_review(["--out", str(tmp_path / "out")], content_dir)
    assert code == 1 and stdout == ""
    assert "en-GB.yaml" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "out").exists()


def test_python_m_skill_review_is_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "skill", "review", "--help"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=False,
    )
    assert result.returncode == 0 and "--out" in result.stdout


# ----------------------------------------------------------------------------- what it holds


def test_every_answer_of_every_locale_appears_safety_first(
    report: Report, library: ContentLibrary
) -> None:
    total = 0
    for locale, content in library.locales.items():
        keys = [answer.key for answer in all_answers(content)]
        assert report.pages[locale].answers == keys  # each once, in order: safety first
        assert keys[0].startswith("safety.")
        total += len(keys)
    assert f"review report: {total} answers in {len(library.available)} locales" in report.stdout
    everything = (report.out / "all.html").read_text(encoding="utf-8")
    assert everything.count('<article class="answer') == total
    ids = re.findall(r' id="([^"]+)"', everything)
    assert len(ids) == len(set(ids))  # every locale's links land in its own section


def test_word_counts_timings_and_text_are_those_of_spoken(
    report: Report, library: ContentLibrary
) -> None:
    for locale, content in library.locales.items():
        assert speaking_rate(content, urgent=False) == 90  # what the report says it assumes
        assert speaking_rate(content, urgent=True) == 95
        page = report.pages[locale]
        expected = expected_texts(content)
        assert set(page.rows) == set(expected)  # every first, more, reprompt and message
        assert page.twice == []
        for path, (text, rate) in expected.items():
            words, seconds, shown = page.rows[path]
            heard = spoken(content, text)
            assert words == word_count(heard), (locale, path)
            assert seconds == round(words * 60 / (DEFAULT_WORDS_PER_MINUTE * rate / 100), 1)
            assert " ".join(shown.split()) == heard, (locale, path)


def test_numbers_are_shown_as_heard_and_the_rate_is_stated(report: Report) -> None:
    gb = (report.out / "en-GB.html").read_text(encoding="utf-8")
    assert '<span class="digits">9 9 9</span>' in gb  # said nine nine nine
    assert "triple zero" in (report.out / "en-AU.html").read_text(encoding="utf-8")
    assert "rate 90%, about 135 words a minute" in gb
    assert "at 95% and full volume, about 142.5 words a minute" in gb
    assert f"about {DEFAULT_WORDS_PER_MINUTE} words a minute" in gb


def test_cards_sources_and_origins_are_shown(report: Report, library: ContentLibrary) -> None:
    gb = (report.out / "en-GB.html").read_text(encoding="utf-8")
    content = library.content("en-GB")
    article = gb[gb.index('id="en-GB.safety.poisoning"') :]
    article = article[: article.index("</article>")]
    assert "Call 999 or go to A&amp;E now, even if you feel well.\nIf you" in article  # lines
    for source_id in content.safety["poisoning"].sources:
        assert f'<a href="{content.sources[source_id].url}">' in article
    assert '<span class="origin own">en-GB.yaml</span>' in article  # the locale's own words
    assert "English base" in article  # ... beside what en.yaml says
    assert "English base card" in article and "Call 999 now, even if you feel well." in article
    index = (report.out / "index.html").read_text(encoding="utf-8")
    assert 'href="en-GB.html#en-GB.safety.poisoning"' in index  # listed as a difference


# ----------------------------------------------------------------------------- review status


def test_pending_reviewed_and_stale_are_marked(edited: tuple[Path, str]) -> None:
    out, stdout = edited
    page = (out / "en-US.html").read_text(encoding="utf-8")

    def article(key: str) -> str:
        start = page.index(f'data-key="{key}"')
        return page[start : page.index("</article>", start)]

    current = article("topics.triggers")
    assert "status-reviewed" in current and REVIEWER in current
    assert "1 December 2026" in current and "25 November 2099" in current
    assert "status-stale" in article("topics.help")
    assert "was due on 10 January 2026" in article("topics.help")
    assert "status-stale" in article("topics.clinic")
    assert "after the review on 1 June 2026" in article("topics.clinic")
    assert "status-pending" in article("topics.causes")
    match = SUMMARY.fullmatch(stdout.strip())
    assert match, stdout
    answers, locales, pending, stale = (int(match[i]) for i in range(1, 5))
    assert stale == 2 * locales
    assert pending == answers - 3 * locales
    assert (int(match[5]), int(match[6])) == (0, 0)  # the messages were reviewed


def test_review_status_rules() -> None:
    on, following = dt.date(2026, 1, 1), dt.date(2027, 1, 1)
    review = Review(REVIEWER, on, following)
    assert review_status(PENDING, on, TODAY).label == "pending"
    assert review_status(review, on, TODAY).label == "reviewed"
    assert review_status(review, dt.date(2026, 3, 1), TODAY).label == "stale"  # text changed
    assert review_status(review, on, dt.date(2027, 1, 2)).label == "stale"  # next review passed


# ----------------------------------------------------------------------------- safe, printable


def test_content_text_is_escaped_and_only_web_addresses_link(edited: tuple[Path, str]) -> None:
    out, _ = edited
    for path in out.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), path.name
        assert "<img" not in text and "<b>" not in text, path.name
        assert 'href="javascript' not in text.lower(), path.name
    page = (out / "en-US.html").read_text(encoding="utf-8")
    assert "An aura &lt;script&gt;alert(&#x27;aura&#x27;)&lt;/script&gt; &amp; more." in page
    assert "Aura &lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;card()&lt;/script&gt;\nSecond line &amp; third." in page
    assert "&lt;b&gt;Hostile&lt;/b&gt; <span" in page  # its javascript: address, not a link
    assert "address not a web link: javascript:alert(1)" in page
    parsed = parse(out / "en-US.html")
    assert any(key.endswith(HOSTILE_KEY) for key in parsed.answers)  # the key, intact
    for href in parsed.hrefs:
        assert href.startswith(("#", "https://", "http://")) or href.endswith(".html"), href


def test_pages_are_valid_printable_and_script_free(report: Report, library: ContentLibrary) -> None:
    for path in sorted(report.out.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>\n<html lang=")
        assert "<script" not in text.lower()
        assert not re.search(r"<[^>]*\son\w+=", text)  # nor an event handler attribute
        assert "<link" not in text and "@import" not in text and "url(" not in text  # offline
        style = text[text.index("<style>") : text.index("</style>")]
        print_style = style.split("@media print")[1]
        assert "section.locale + section.locale { break-before: page; }" in print_style
        assert 'a[href^="http"]::after { content: " <" attr(href) ">"' in print_style
        assert "nav.site { display: none; }" in print_style
        assert "color: #000; background: #fff;" in print_style
    for name, page in report.pages.items():
        assert {"h1", "h2", "table", "th", "caption", "dl", "dt", "dd"} <= page.tags, name
        assert len(page.ids) == len(set(page.ids)), name
    for locale in library.available:
        assert report.pages[locale].langs[:2] == [locale, locale]  # <html>, its <section>
    assert report.pages["index"].langs[0] == "en"
    everything = (report.out / "all.html").read_text(encoding="utf-8")
    for locale in library.available:
        assert f'<section class="locale" lang="{locale}"' in everything
