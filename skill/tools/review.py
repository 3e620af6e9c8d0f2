"""The clinician's review report: every answer of every locale, as spoken, on printable pages.

``python -m skill review [--out DIR]`` writes into ``DIR`` (default ``build/review/``):

- ``index.html``: the summary, how to read the report, each locale's files and counts, what
  the placeholders say in each locale, and the texts each locale words differently;
- ``<locale>.html``: one page per locale, safety answers first, then the interface messages,
  then the topics and their items;
- ``all.html``: every locale in one document, a page break between locales, to print at once.

Each text is rendered by ``rules.spoken()`` (what Alexa says, as words), with numbers shown
as heard (a number read digit by digit has its digits spaced: "9 1 1"); word counts are of
that rendering, as ``check`` counts them. Speaking times assume a default rate (below) and
the prosody rate the skill really sends, read from the SSML it renders.

The pages are self-contained: inline CSS with a print stylesheet, no scripts, nothing
fetched. Every content text is HTML-escaped (the clinic edits the content), and only
http(s) addresses become links.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from skill.content import Answer, Content, ContentLibrary, Review, Topic
from skill.content.documents import BASE, Documents, display_name, read_documents
from skill.content.library import library_from
from skill.conversation import TopicPosition, answer_card
from skill.handlers.answers import answer_part
from skill.speech import Voice, plain, render_ssml, ssml_to_text
from skill.tools.rules import spoken, word_count

#: Alexa's default speaking rate, assumed: Amazon publishes none, and about 150 words a minute
#: is the usual planning figure for a clear synthetic English voice (conversational speech
#: runs at 150-160). The skill slows it down with SSML prosody (read from what it renders).
DEFAULT_WORDS_PER_MINUTE = 150
_RATE = re.compile(r'<prosody rate="(\d+)%"')
_DIGITS = re.compile(r'<say-as interpret-as="digits">([^<]*)</say-as>')
#: Marks around digit-by-digit numbers while SSML becomes text; XML-invalid, so the speech
#: module has already removed them from any content text.
_OPEN, _CLOSE = "\x01", "\x02"
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")

COUNTRIES = {
    "AU": "Australia",
    "CA": "Canada",
    "GB": "United Kingdom",
    "IN": "India",
    "NZ": "New Zealand",
    "US": "United States",
}


# --------------------------------------------------------------------------- the facts


class Status(NamedTuple):
    """An answer's review, as the report states it."""

    label: str  # "pending", "stale" or "reviewed"
    reason: str


def review_status(review: Review, written_on: dt.date | None, today: dt.date) -> Status:
    """Pending; stale (next review passed, or the text changed after it); or reviewed."""
    if review.pending:
        return Status("pending", "awaiting clinical review")
    if review.stale(today):
        return Status("stale", f"the next review was due on {_date(review.next_review)}")
    if (
        written_on is not None
        and review.reviewed_on is not None
        and written_on > review.reviewed_on
    ):
        return Status(
            "stale",
            f"the text was written on {_date(written_on)}, after the review on "
            f"{_date(review.reviewed_on)}: the review does not cover it",
        )
    return Status("reviewed", f"next review by {_date(review.next_review)}")


class Said(NamedTuple):
    """One text as a listener hears it."""

    text: str  # exactly ``spoken()``
    markup: str  # the same, HTML-escaped, with digit-by-digit numbers as heard
    words: int
    seconds: float


def speaking_rate(content: Content, *, urgent: bool) -> int:
    """The prosody rate (percent) the skill sends for gentle or urgent speech."""
    ssml = render_ssml(("x",), content, voice=Voice.GENTLE, urgent=urgent)
    match = _RATE.search(ssml)
    return int(match.group(1)) if match else 100


def words_per_minute(rate: int) -> float:
    return DEFAULT_WORDS_PER_MINUTE * rate / 100


def seconds_for(words: int, rate: int) -> float:
    """Estimated speaking time of ``words`` at ``rate`` percent, to a tenth of a second."""
    return round(words * 60 / words_per_minute(rate), 1)


def said(content: Content, text: str, rate: int) -> Said:
    """``text`` as spoken in this locale, with its word count and speaking time."""
    words_said = spoken(content, text)
    ssml = render_ssml((text,), content, voice=Voice.GENTLE, urgent=False)
    marked = ssml_to_text(_DIGITS.sub(lambda m: f"{_OPEN}{m.group(1)}{_CLOSE}", ssml))
    markup = html.escape(words_said)
    if marked.replace(_OPEN, "").replace(_CLOSE, "") == words_said:
        pieces = re.split(f"{_OPEN}([^{_CLOSE}]*){_CLOSE}", marked)
        markup = "".join(
            f'<span class="digits">{html.escape(" ".join(piece))}</span>'
            if index % 2
            else html.escape(piece)
            for index, piece in enumerate(pieces)
        )
    count = word_count(words_said)
    return Said(words_said, markup, count, seconds_for(count, rate))


class Part(NamedTuple):
    """A row of an answer's speech table."""

    label: str
    path: str | None  # the text's key path ("topics.aura.more[0]"); None for a closing line
    said: Said
    origin: str | None  # the file that holds the text
    base: Said | None  # what the English base says instead, when this locale differs
    closing: bool = False
    counted: bool = True  # in the answer heard in full (a reprompt or an alternative is not)


class Entry(NamedTuple):
    """One answer, ready to show."""

    answer: Answer
    anchor: str
    status: Status
    parts: tuple[Part, ...]
    rate: int
    card_title: str
    card_text: str
    own_fields: tuple[tuple[str, str], ...]  # (field, file) set above the base, by the locale
    base_card: str | None  # the base's card in this locale, where the locale's card differs


class LocaleReport(NamedTuple):
    locale: str
    content: Content
    files: tuple[str, ...]  # the locale's file, then what it extends
    safety: tuple[Entry, ...]
    topics: tuple[tuple[Topic, Entry, tuple[Entry, ...]], ...]
    messages: tuple[Part, ...]
    messages_status: Status
    messages_origin: str

    @property
    def entries(self) -> Iterator[Entry]:
        yield from self.safety
        for _, entry, items in self.topics:
            yield entry
            yield from items

    @property
    def title(self) -> str:
        return locale_title(self.content)


class Summary(NamedTuple):
    answers: int
    locales: int
    pending: int
    stale: int
    messages_pending: int
    messages_stale: int
    index_path: Path
    written: tuple[Path, ...]

    def line(self) -> str:
        return (
            f"review report: {self.answers} answers in {self.locales} locales, "
            f"{self.pending} pending review, {self.stale} stale "
            f"(interface messages: {self.messages_pending} pending, {self.messages_stale} stale)"
            f" -> {self.index_path}"
        )


def locale_title(content: Content) -> str:
    if content.international:
        return "International English"
    country = COUNTRIES.get(content.country or "", content.country or content.locale)
    return f"English ({country})"


class Builder:
    """Collects one locale's entries: speech, origins, differences from the base."""

    def __init__(
        self, library: ContentLibrary, documents: Documents, locale: str, today: dt.date
    ) -> None:
        self.library = library
        self.locale = locale
        self.content = library.content(locale)
        self.base = documents.by_name.get(BASE, {})
        self.base_file = display_name(BASE)
        self.today = today
        self.gentle = speaking_rate(self.content, urgent=False)
        self.urgent = speaking_rate(self.content, urgent=True)
        self.files = tuple(display_name(name) for name in _chain(documents.by_name, locale))

    def origin(self, path: str) -> str:
        return self.library.origin_of(self.locale, path)

    def base_said(self, path: str, text: str, origin: str, rate: int) -> Said | None:
        """The base's wording of ``path`` in this locale, if this locale says it otherwise."""
        if origin == self.base_file:
            return None
        node: Any = self.base
        for key in re.split(r"\.|\[(\d+)\]", path):
            if not key:
                continue
            if isinstance(node, Mapping):
                node = node.get(key)
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        if not isinstance(node, str):
            return None
        base_text = " ".join(node.split())
        if base_text == text:
            return None
        return said(self.content, base_text, rate)

    def part(self, label: str, path: str, text: str, rate: int, *, counted: bool = True) -> Part:
        origin = self.origin(path)
        return Part(
            label,
            path,
            said(self.content, text, rate),
            origin,
            self.base_said(path, text, origin, rate),
            counted=counted,
        )

    def entry(self, answer: Answer) -> Entry:
        safety = answer.key.startswith("safety.")
        rate = self.urgent if safety else self.gentle
        parts: list[Part] = []
        labels = ["First", *(f"More {index}" for index in range(1, len(answer.more) + 1))]
        paths = [
            f"{answer.key}.first",
            *(f"{answer.key}.more[{i}]" for i in range(len(answer.more))),
        ]
        position: TopicPosition | None = None
        if not safety:
            topic, _, item = answer.key.removeprefix("topics.").partition(".items.")
            position = TopicPosition(topic, item or None, 0)
        for index, (label, path, text) in enumerate(zip(labels, paths, answer.parts, strict=True)):
            parts.append(self.part(label, path, text, rate))
            if position is not None:
                reply = answer_part(self.content, position._replace(next_part=index))
                if reply is not None and len(reply[0].speech) > 1:
                    closing = said(self.content, reply[0].speech[-1], rate)
                    parts.append(Part("then", None, closing, None, None, closing=True))
        if answer.reprompt is not None:
            reprompt = self.part(
                "Reprompt", f"{answer.key}.reprompt", answer.reprompt, rate, counted=False
            )
            parts.append(reprompt)
        card = answer_card(self.content, answer)
        fields = ("title", "name", "first", "more", "card", "sources", "review", "reprompt")
        origins = {
            field: self.origin(f"{answer.key}.{field}")
            for field in fields
            if field != "reprompt" or answer.reprompt is not None
        }
        own = tuple((f, origin) for f, origin in origins.items() if origin != self.base_file)
        return Entry(
            answer=answer,
            anchor=anchor(self.locale, answer.key),
            status=review_status(answer.review, answer.written_on, self.today),
            parts=tuple(parts),
            rate=rate,
            card_title=card.title,
            card_text=card.text,
            own_fields=own,
            base_card=self.base_card(answer, origins["card"]),
        )

    def base_card(self, answer: Answer, origin: str) -> str | None:
        """The base's card text in this locale, when this locale's card says otherwise."""
        node: Any = self.base
        for key in answer.key.split("."):
            node = node.get(key) if isinstance(node, Mapping) else None
        card = node.get("card") if origin != self.base_file and isinstance(node, Mapping) else None
        if not isinstance(card, str):
            return None
        text = "\n".join(line.strip() for line in card.strip().splitlines())
        return None if text == answer.card else plain(text, self.content)

    def topic_entry(self, topic: Topic) -> Entry:
        entry = self.entry(topic.answer)
        if topic.unknown_item is None:
            return entry
        path = f"topics.{topic.key}.unknown_item"
        unknown = self.part("Item not known", path, topic.unknown_item, self.gentle, counted=False)
        return entry._replace(parts=(*entry.parts, unknown))

    def report(self) -> LocaleReport:
        content = self.content
        safety = tuple(self.entry(answer) for answer in content.safety.values())
        topics = tuple(
            (topic, self.topic_entry(topic), tuple(self.entry(a) for a in topic.items.values()))
            for topic in content.topics.values()
        )
        messages = tuple(
            self.part(key, f"messages.{key}", text, self.gentle)
            for key, text in content.messages.items()
        )
        review = content.messages_review
        return LocaleReport(
            locale=self.locale,
            content=content,
            files=self.files,
            safety=safety,
            topics=topics,
            messages=messages,
            messages_status=review_status(review, None, self.today),
            messages_origin=self.origin("messages_review"),
        )


def _chain(by_name: Mapping[str, Mapping[str, Any]], locale: str) -> list[str]:
    chain: list[str] = []
    current: object = locale
    while isinstance(current, str) and current in by_name and current not in chain:
        chain.append(current)
        current = by_name[current].get("extends")
    return chain


def anchor(locale: str, key: str) -> str:
    """A fragment id, the same on a locale's page and in ``all.html``."""
    return _SAFE_ID.sub("_", f"{locale}.{key}")


def build_reports(content_dir: Path, today: dt.date) -> tuple[ContentLibrary, list[LocaleReport]]:
    """Load and validate every locale (``ContentError`` if broken); build their reports."""
    documents = read_documents(content_dir)
    library = library_from(documents, validate_all=True)
    reports = [
        Builder(library, documents, locale, today).report() for locale in sorted(library.available)
    ]
    return library, reports


# --------------------------------------------------------------------------- HTML

STYLE = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: #111; background: #fff; margin: 0 auto; max-width: 64rem;
       padding: 0 1.25rem 3rem; }
h1 { font-size: 1.7rem; margin: 1.2rem 0 .4rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .6rem; border-bottom: 2px solid #111; }
h3 { font-size: 1.15rem; margin: 0 0 .3rem; }
h4 { font-size: 1.05rem; margin: 0 0 .3rem; }
a { color: #0645ad; }
code, .key { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
             font-size: .85em; }
.key { color: #444; font-weight: normal; }
nav.site { display: flex; gap: 1rem; flex-wrap: wrap; padding: .6rem 0;
           border-bottom: 1px solid #bbb; font-size: .95rem; }
nav.contents ol { margin: .2rem 0; padding-left: 1.4rem; }
nav.contents > ol { columns: 2; column-gap: 2rem; }
nav.contents > ol > li > ol > li { break-inside: avoid; }
article.answer { border: 1px solid #999; border-radius: 4px; padding: .8rem 1rem;
                 margin: 1rem 0; break-inside: avoid-page; }
section.topic > article.answer.item { margin-left: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; }
caption { text-align: left; font-size: .9rem; color: #333; padding: .2rem 0; }
th, td { border: 1px solid #bbb; padding: .3rem .5rem; vertical-align: top; text-align: left; }
thead th { background: #eee; }
td.num, th.num { text-align: right; white-space: nowrap; width: 4.5rem; }
tr.closing td, tr.closing th { color: #444; font-style: italic; }
tr.base td { color: #333; background: #f6f6f6; }
.origin { display: block; font-size: .8rem; font-weight: normal; color: #444; }
.own { font-weight: bold; }
.digits { letter-spacing: .05em; border-bottom: 1px dotted #555; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: 9rem 1fr; gap: .3rem 1rem; margin: .6rem 0 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
dl.review { display: flex; flex-wrap: wrap; gap: 0 .4rem; margin: .2rem 0 0; }
dl.review dt { font-weight: bold; }
dl.review dt::after { content: ":"; }
dl.review dd { margin: 0 .8rem 0 0; }
.card { border-left: 4px solid #666; padding: .2rem .7rem; white-space: pre-line; margin: 0; }
.card-title { font-weight: bold; margin: 0; }
.base-card { border-left-style: dotted; color: #333; }
ul.sources { margin: 0; padding-left: 1.2rem; }
.status { display: inline-block; border: 1px solid #111; border-radius: 3px;
          padding: 0 .4rem; font-size: .85rem; font-weight: bold; text-transform: uppercase; }
.status-pending { background: #fff3c4; border-style: dashed; }
.status-stale { background: #ffd9d9; border-width: 3px; border-style: double; }
.status-reviewed { background: #dff3df; }
.note { font-size: .9rem; color: #333; }
@media print {
  @page { margin: 16mm 14mm; }
  body { font-size: 10pt; max-width: none; padding: 0; color: #000; background: #fff; }
  nav.site { display: none; }
  nav.contents > ol { columns: auto; }
  nav.contents li { break-inside: auto; }
  a { color: #000; text-decoration: none; }
  a[href^="http"]::after { content: " <" attr(href) ">"; font-size: .85em; word-break: break-all; }
  a[href^="#"], nav.contents a { text-decoration: none; }
  section.locale + section.locale { break-before: page; }
  h2, h3, h4 { break-after: avoid-page; }
  article.answer { border-color: #000; }
  thead th, tr.base td, .status { background: none !important; }
  th, td { border-color: #000; }
  tr.closing td, tr.closing th, .key, .origin, caption, .note, tr.base td { color: #000; }
  .status-stale { border-width: 3px; }
}
"""


def e(text: object) -> str:
    """Escape any text for HTML, attributes included."""
    return html.escape(str(text), quote=True)


def _date(day: dt.date | None) -> str:
    return "-" if day is None else f"{day:%-d %B %Y} ({day.isoformat()})"


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def status_badge(status: Status) -> str:
    return f'<span class="status status-{e(status.label)}">{e(status.label)}</span>'


def link(url: str | None, text: str) -> str:
    """A link for an http(s) address; anything else is shown as text, never followed."""
    if url and urlsplit(url.strip()).scheme.lower() in {"http", "https"}:
        return f'<a href="{e(url.strip())}">{e(text)}</a>'
    if url:
        return f'{e(text)} <span class="note">(address not a web link: {e(url)})</span>'
    return e(text)


def page(title: str, lang: str, body: Iterable[str], nav: str) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{e(lang)}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            nav,
            "<main>",
            *body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def site_nav(reports: list[LocaleReport], here: str) -> str:
    links = [("index.html", "Summary"), ("all.html", "All locales (to print)")]
    links += [(f"{r.locale}.html", r.locale) for r in reports]
    items = [
        f'<a href="{e(href)}" aria-current="page">{e(text)}</a>'
        if href == here
        else f'<a href="{e(href)}">{e(text)}</a>'
        for href, text in links
    ]
    return f'<nav class="site" aria-label="Report pages">{"".join(items)}</nav>'


def rate_note(content: Content) -> str:
    gentle = speaking_rate(content, urgent=False)
    urgent = speaking_rate(content, urgent=True)
    return (
        f"Times assume Alexa's default voice speaks about {DEFAULT_WORDS_PER_MINUTE} words a "
        "minute (Amazon publishes no figure; this is the usual planning rate for a clear "
        f"synthetic voice). The skill slows its voice with SSML prosody: answers, messages "
        f"and whispers at rate {gentle}%, about {words_per_minute(gentle):g} words a minute; "
        f"safety answers at {urgent}% and full volume, about {words_per_minute(urgent):g} "
        "words a minute. Pauses between parts (0.4 s) are not counted. A number read digit "
        "by digit is shown with its digits spaced (9 1 1 is said nine one one) and counts as "
        "one word, as the check counts it, so times for number-heavy texts run a little short."
    )


def speech_table(
    parts: Iterable[Part], caption: str, *, first_header: str = "Part", total: bool = True
) -> str:
    rows: list[str] = []
    total_words = 0
    total_seconds = 0.0
    parts = list(parts)
    for part in parts:
        if part.counted:
            total_words += part.said.words
            total_seconds += part.said.seconds
        origin = ""
        if part.origin is not None:
            own = "" if part.origin == display_name(BASE) else " own"
            origin = f'<span class="origin{own}">{e(part.origin)}</span>'
        data = (
            f' data-text="{e(part.path)}" data-words="{part.said.words}"'
            f' data-seconds="{part.said.seconds}"'
            if part.path is not None
            else ""
        )
        css = "closing" if part.closing else "part"
        rows.append(
            f'<tr class="{css}"{data}><th scope="row">{e(part.label)}{origin}</th>'
            f"<td>{part.said.markup}</td>"
            f'<td class="num">{part.said.words}</td>'
            f'<td class="num">{_seconds(part.said.seconds)}</td></tr>'
        )
        if part.base is not None:
            rows.append(
                f'<tr class="base"><th scope="row">English base '
                f'<span class="origin">{e(display_name(BASE))}</span></th>'
                f'<td colspan="3">{part.base.markup}</td></tr>'
            )
    apart = [part.label for part in parts if not part.counted]
    left_out = "every part, and the line after each"
    if apart:
        left_out += "; not counting " + " or ".join(label.lower() for label in apart)
    return "\n".join(
        [
            "<table>",
            f"<caption>{e(caption)}</caption>",
            f'<thead><tr><th scope="col">{e(first_header)}</th><th scope="col">As spoken</th>'
            '<th scope="col" class="num">Words</th><th scope="col" class="num">Time</th>'
            "</tr></thead>",
            "<tbody>",
            *rows,
            "</tbody>",
            f'<tfoot><tr><th scope="row">Heard in full</th><td class="note">{e(left_out)}</td>'
            f'<td class="num">{total_words}</td>'
            f'<td class="num">{_seconds(total_seconds)}</td></tr></tfoot>'
            if total
            else "",
            "</table>",
        ]
    )


def answer_html(report: LocaleReport, entry: Entry, level: int, *, item: bool = False) -> str:
    answer = entry.answer
    content = report.content
    sources = []
    for source_id in answer.sources:
        source = content.sources.get(source_id)
        if source is None:
            sources.append(f"<li>{e(source_id)}</li>")
        else:
            sources.append(f"<li>{link(source.url, source.title)}</li>")
    review = answer.review
    own = f"all from {e(display_name(BASE))}"
    if entry.own_fields:
        files = sorted({origin for _, origin in entry.own_fields})
        own = "; ".join(
            ", ".join(f"<code>{e(f)}</code>" for f, o in entry.own_fields if o == origin)
            + f" from {e(origin)}"
            for origin in files
        )
        own += f"; the rest from {e(display_name(BASE))}"
    base_card = ""
    if entry.base_card is not None:
        base_card = (
            f'<dt>English base card <span class="origin">{e(display_name(BASE))}</span></dt>'
            f'<dd><p class="card base-card">{e(entry.base_card)}</p></dd>'
        )
    speech = speech_table(
        entry.parts,
        f"What Alexa says, at rate {entry.rate}% (about {words_per_minute(entry.rate):g} words "
        "a minute)",
    )
    css = "answer item" if item else "answer"
    return "\n".join(
        [
            f'<article class="{css}" id="{e(entry.anchor)}" data-key="{e(answer.key)}">',
            f'<h{level}>{e(answer.title)} <span class="key">{e(answer.key)}</span></h{level}>',
            f"<p>{status_badge(entry.status)} {e(entry.status.reason)}</p>",
            speech,
            '<dl class="facts">',
            "<dt>Card in the Alexa app</dt>",
            f'<dd><p class="card-title">{e(entry.card_title)}</p>'
            f'<p class="card">{e(entry.card_text)}</p></dd>',
            base_card,
            "<dt>Sources</dt>",
            f'<dd><ul class="sources">{"".join(sources)}</ul></dd>',
            "<dt>Review</dt>",
            f"<dd>{status_badge(entry.status)}"
            '<dl class="review">'
            f"<dt>Reviewer</dt><dd>{e(review.reviewed_by or '-')}</dd>"
            f"<dt>Reviewed on</dt><dd>{e(_date(review.reviewed_on))}</dd>"
            f"<dt>Next review</dt><dd>{e(_date(review.next_review))}</dd>"
            "</dl></dd>",
            f"<dt>Written on</dt><dd>{e(_date(answer.written_on))}</dd>",
            f"<dt>Spoken of as</dt><dd>{e(plain(answer.name, content))}</dd>",
            f"<dt>Files</dt><dd>{own}</dd>",
            "</dl>",
            "</article>",
        ]
    )


def contents_html(report: LocaleReport, href: str) -> str:
    def item(entry: Entry, children: str = "") -> str:
        own = ' <span class="own">(own wording)</span>' if _words_own(entry) else ""
        return (
            f'<li><a href="{e(href)}#{e(entry.anchor)}">{e(entry.answer.title)}</a> '
            f'<span class="key">{e(entry.answer.key)}</span> {status_badge(entry.status)}'
            f"{own}{children}</li>"
        )

    safety = "".join(item(entry) for entry in report.safety)
    topics = "".join(
        item(entry, f"<ol>{''.join(item(i) for i in items)}</ol>" if items else "")
        for _, entry, items in report.topics
    )
    messages_id = anchor(report.locale, "messages")
    return "\n".join(
        [
            f'<nav class="contents" aria-label="Contents of {e(report.locale)}">',
            "<h2>Contents</h2>",
            "<ol>",
            f'<li><a href="{e(href)}#{e(anchor(report.locale, "safety"))}">Safety answers</a>'
            f"<ol>{safety}</ol></li>",
            f'<li><a href="{e(href)}#{e(messages_id)}">Interface messages</a> '
            f"{status_badge(report.messages_status)}</li>",
            f'<li><a href="{e(href)}#{e(anchor(report.locale, "topics"))}">Topics</a>'
            f"<ol>{topics}</ol></li>",
            "</ol>",
            "</nav>",
        ]
    )


def _words_own(entry: Entry) -> bool:
    return any(field in {"first", "more", "card", "reprompt"} for field, _ in entry.own_fields)


def lines_html(content: Content) -> str:
    rows = []
    for name, line in content.lines.items():
        number = "{emergency_number}" if name == "emergency" else f"{{{name}_number}}"
        heard = said(content, number, 100).markup
        rows.append(
            f'<tr><th scope="row">{e(name)}</th><td>{e(line.name)}</td>'
            f"<td>{e(line.number or '-')}</td><td>{heard}</td><td>{e(line.how)}</td></tr>"
        )
    words = "".join(
        f'<tr><th scope="row"><code>{{{e(key)}}}</code></th><td>{e(value)}</td></tr>'
        for key, value in content.words.items()
    )
    clinic = content.clinic
    return "\n".join(
        [
            "<table>",
            "<caption>Telephone lines the answers name</caption>",
            '<thead><tr><th scope="col">Line</th><th scope="col">Name</th>'
            '<th scope="col">On the card</th><th scope="col">As heard</th>'
            '<th scope="col">How</th></tr></thead>',
            f"<tbody>{''.join(rows)}</tbody>",
            "</table>",
            "<table>",
            "<caption>Local words the answers use</caption>",
            '<thead><tr><th scope="col">Placeholder</th><th scope="col">Says</th></tr></thead>',
            f"<tbody>{words}</tbody>",
            "</table>",
            '<dl class="facts">',
            f"<dt>Clinic</dt><dd>{e(clinic.name)}</dd>",
            f"<dt>Clinic phone</dt><dd>{e(clinic.phone)}, heard as "
            f"{said(content, '{clinic_phone}', 100).markup}</dd>",
            f"<dt>Hours</dt><dd>{e(clinic.hours)}</dd>",
            f"<dt>Website</dt><dd>{link(clinic.website, clinic.website)}</dd>",
            "</dl>",
        ]
    )


def locale_section(report: LocaleReport, href: str) -> str:
    """One locale's whole report, as a ``<section>`` with its own ``lang``."""
    content = report.content
    entries = list(report.entries)
    pending = sum(entry.status.label == "pending" for entry in entries)
    stale = sum(entry.status.label == "stale" for entry in entries)
    own = sum(_words_own(entry) for entry in entries)
    out = [
        f'<section class="locale" lang="{e(report.locale)}" '
        f'id="{e(anchor(report.locale, "top"))}">',
        f'<h1>{e(content.skill_name)}: {e(report.title)} <span class="key">'
        f"{e(report.locale)}</span></h1>",
        '<dl class="facts">',
        f"<dt>Files</dt><dd>{e(' extends '.join(report.files))}</dd>",
        f"<dt>Answers</dt><dd>{len(entries)}: {pending} pending review, {stale} stale; "
        f"{own} worded by this locale's own file</dd>",
        f"<dt>Messages</dt><dd>{status_badge(report.messages_status)} "
        f"{e(report.messages_status.reason)}</dd>",
        "</dl>",
        f'<p class="note">{e(rate_note(content))}</p>',
        contents_html(report, href),
        f'<section id="{e(anchor(report.locale, "lines"))}">',
        "<h2>Numbers and words in this locale</h2>",
        lines_html(content),
        "</section>",
        f'<section id="{e(anchor(report.locale, "safety"))}">',
        "<h2>Safety answers</h2>",
        '<p class="note">Said when triage finds danger, and for the emergency questions. '
        "Never whispered. Without a reprompt the session ends, so the person can call.</p>",
        *(answer_html(report, entry, 3) for entry in report.safety),
        "</section>",
        f'<section id="{e(anchor(report.locale, "messages"))}">',
        "<h2>Interface messages</h2>",
        f"<p>{status_badge(report.messages_status)} {e(report.messages_status.reason)}; "
        f"reviewed as one (<code>messages_review</code> in {e(report.messages_origin)}). "
        f"Reviewer: {e(content.messages_review.reviewed_by or '-')}; reviewed on "
        f"{e(_date(content.messages_review.reviewed_on))}; next review "
        f"{e(_date(content.messages_review.next_review))}.</p>",
        '<p class="note">{name} is filled with the answer\'s spoken name, {item} with what '
        "the person asked about.</p>",
        speech_table(
            report.messages, "Interface messages, as spoken", first_header="Message", total=False
        ),
        "</section>",
        f'<section id="{e(anchor(report.locale, "topics"))}">',
        "<h2>Topics</h2>",
    ]
    for topic, entry, items in report.topics:
        out.append(f'<section class="topic" aria-label="{e(entry.answer.title)}">')
        out.append(answer_html(report, entry, 3))
        if items:
            out.append(
                f'<p class="note">{len(items)} items of {e(entry.answer.title)}, picked by '
                f"the <code>{e(topic.slot)}</code> slot:</p>"
            )
            out.extend(answer_html(report, item, 4, item=True) for item in items)
        out.append("</section>")
    out += ["</section>", "</section>"]
    return "\n".join(out)


def index_html(reports: list[LocaleReport], summary: Summary, today: dt.date) -> str:
    first = reports[0].content
    rows = []
    for report in reports:
        entries = list(report.entries)
        rows.append(
            f'<tr><th scope="row"><a href="{e(report.locale)}.html">{e(report.locale)}</a></th>'
            f"<td>{e(report.title)}</td><td>{e(' extends '.join(report.files))}</td>"
            f'<td class="num">{len(entries)}</td>'
            f'<td class="num">{sum(x.status.label == "pending" for x in entries)}</td>'
            f'<td class="num">{sum(x.status.label == "stale" for x in entries)}</td>'
            f'<td class="num">{sum(_words_own(x) for x in entries)}</td>'
            f"<td>{status_badge(report.messages_status)}</td></tr>"
        )
    heads = "".join(f'<th scope="col">{e(r.locale)}</th>' for r in reports)
    compare = []
    line_names = sorted({name for r in reports for name in r.content.lines})
    for name in line_names:
        cells = []
        for report in reports:
            line = report.content.lines.get(name)
            if line is None:
                cells.append("<td>-</td>")
                continue
            number = "{emergency_number}" if name == "emergency" else f"{{{name}_number}}"
            cells.append(f"<td>{e(line.name)}: {said(report.content, number, 100).markup}</td>")
        compare.append(f'<tr><th scope="row">{e(name)} line</th>{"".join(cells)}</tr>')
    for key in sorted({key for r in reports for key in r.content.words}):
        said_here = "".join(f"<td>{e(r.content.words.get(key, '-'))}</td>" for r in reports)
        compare.append(f'<tr><th scope="row"><code>{{{e(key)}}}</code></th>{said_here}</tr>')
    differences = []
    for report in reports:
        own = [entry for entry in report.entries if entry.own_fields]
        own_messages = [p for p in report.messages if p.base is not None]
        items = "".join(
            f'<li><a href="{e(report.locale)}.html#{e(entry.anchor)}">{e(entry.answer.title)}</a>'
            f' <span class="key">{e(entry.answer.key)}</span>: '
            + ", ".join(f"<code>{e(field)}</code> ({e(o)})" for field, o in entry.own_fields)
            + f" {status_badge(entry.status)}</li>"
            for entry in own
        )
        items += "".join(
            f'<li><a href="{e(report.locale)}.html#{e(anchor(report.locale, "messages"))}">'
            f'message</a> <span class="key">{e(part.path)}</span></li>'
            for part in own_messages
        )
        differences.append(
            f"<h3>{e(report.locale)}: {e(report.title)}</h3>"
            + (f"<ul>{items}</ul>" if items else "<p>Says everything as the English base.</p>")
        )
    body = [
        '<section lang="en">',
        f"<h1>{e(first.skill_name)}: clinician review report</h1>",
        f"<p>Written on {e(_date(today))} from the content files. Print "
        '<a href="all.html">all locales</a> at once, or one locale\'s page.</p>',
        '<dl class="facts">',
        f"<dt>Answers</dt><dd>{summary.answers} in {summary.locales} locales</dd>",
        f"<dt>Pending review</dt><dd>{summary.pending}</dd>",
        f"<dt>Stale</dt><dd>{summary.stale}</dd>",
        f"<dt>Messages</dt><dd>{summary.messages_pending} locales pending, "
        f"{summary.messages_stale} stale</dd>",
        "</dl>",
        "<h2>How to read this report</h2>",
        "<ul>",
        "<li>Each answer shows its first part and each further part exactly as Alexa says "
        "them (placeholders filled for the locale), then the line that follows (the offer of "
        "more, or the wrap-up). The card is what the Alexa app shows.</li>",
        "<li><strong>Pending</strong>: not yet reviewed. <strong>Stale</strong>: the next "
        "review date has passed, or the text was written after the review, so the review "
        "no longer covers it.</li>",
        "<li>Under each part is the file it comes from. Where a locale words a text its own "
        f"way, the {e(display_name(BASE))} wording (the English base) is shown below it.</li>",
        f"<li>{e(rate_note(first))}</li>",
        "</ul>",
        "<h2>Locales</h2>",
        "<table>",
        "<caption>Each locale's files and review counts</caption>",
        '<thead><tr><th scope="col">Locale</th><th scope="col">Name</th>'
        '<th scope="col">Files</th><th scope="col" class="num">Answers</th>'
        '<th scope="col" class="num">Pending</th><th scope="col" class="num">Stale</th>'
        '<th scope="col" class="num">Own wording</th><th scope="col">Messages</th></tr></thead>',
        f"<tbody>{''.join(rows)}</tbody>",
        "</table>",
        "<h2>What the placeholders say in each locale</h2>",
        "<table>",
        "<caption>Telephone lines (as heard) and local words</caption>",
        f'<thead><tr><th scope="col">Placeholder</th>{heads}</tr></thead>',
        f"<tbody>{''.join(compare)}</tbody>",
        "</table>",
        "<h2>Texts each locale words differently</h2>",
        *differences,
        "</section>",
    ]
    return page(
        f"{first.skill_name}: clinician review report", "en", body, site_nav(reports, "index.html")
    )


def write_report(out_dir: Path, content_dir: Path, *, today: dt.date | None = None) -> Summary:
    """Write ``index.html``, ``all.html`` and one page per locale; return the counts."""
    today = today or dt.date.today()
    _, reports = build_reports(content_dir, today)
    entries = [entry for report in reports for entry in report.entries]
    summary = Summary(
        answers=len(entries),
        locales=len(reports),
        pending=sum(entry.status.label == "pending" for entry in entries),
        stale=sum(entry.status.label == "stale" for entry in entries),
        messages_pending=sum(r.messages_status.label == "pending" for r in reports),
        messages_stale=sum(r.messages_status.label == "stale" for r in reports),
        index_path=out_dir / "index.html",
        written=(),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for report in reports:
        name = f"{report.locale}.html"
        title = f"{report.content.skill_name} review: {report.locale}"
        text = page(title, report.locale, [locale_section(report, "")], site_nav(reports, name))
        written.append(_write(out_dir / name, text))
    everything = page(
        f"{reports[0].content.skill_name} review: all locales",
        "en",
        [locale_section(report, "") for report in reports],
        site_nav(reports, "all.html"),
    )
    written.append(_write(out_dir / "all.html", everything))
    written.append(_write(out_dir / "index.html", index_html(reports, summary, today)))
    return summary._replace(written=tuple(written))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
