"""Writing rules, checked on the speech as Alexa would say it, and on the Alexa app cards.

Word counts are of the rendered first answer with the line that follows it ("Would you like
to hear more?"), because that is what a person mid-attack has to sit through; the other
rules catch what reads badly aloud or would not be spoken at all: markup, links, emoji,
symbols, a doubled full stop, a space before punctuation, a card title used as a phrase,
a phone number written out instead of its placeholder, and an answer that opens with "Yes."
although it may be answering a statement ("I'm constipated").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from skill.content import Answer, Content, all_answers
from skill.conversation import TopicPosition
from skill.handlers.answers import answer_part
from skill.speech import Voice, fill, plain, render_ssml, ssml_to_text

FIRST_ANSWER_MAX_WORDS = 40
SAFETY_FIRST_MAX_WORDS = 50
PART_MAX_WORDS = 80
MESSAGE_MAX_WORDS = 40

_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|org|net|gov|uk|au|in|ca|nz)\b", re.I)
_MARKUP = re.compile(r"[<>*_#`\[\]|\\^~]")
_SYMBOL = re.compile(r"[&%$@+=/§©®™°€£¥•→←]")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")
_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")
_SPACE_BEFORE = re.compile(r"\s[,.;:!?]")
_OPENS_YES_NO = re.compile(r"^(Yes|No)\b[.,!]")


def spoken(content: Content, *texts: str) -> str:
    """What a listener hears for these texts, as plain words."""
    ssml = render_ssml(texts, content, voice=Voice.GENTLE, urgent=False)
    return ssml_to_text(ssml)


def word_count(text: str) -> int:
    return len(text.split())


def text_problems(text: str, *, card: bool = False) -> Iterator[str]:
    """What reads badly aloud (or on a card) in one rendered text."""
    if not card and _URL.search(text):
        yield "a web address is not spoken; put it on the card"
    for line in text.splitlines():
        markup = _MARKUP.search(line.removeprefix("- ") if card else line)
        if markup:
            yield f"has markup ({markup.group(0)!r}); write plain words"
            break
    symbol = None if card else _SYMBOL.search(text)
    if symbol:
        yield f"has a symbol ({symbol.group(0)!r}) Alexa may read oddly; use words"
    if _EMOJI.search(text):
        yield "has an emoji"
    if _DOUBLE_STOP.search(text):
        yield "has a doubled full stop"
    if _SPACE_BEFORE.search(text):
        yield "has a space before punctuation"


def literal_numbers(text: str, numbers: frozenset[str]) -> Iterator[str]:
    """Phone numbers written out in a text, which must come from their placeholders."""
    digits = re.sub(r"[\s-]", "", text)
    for number in sorted(numbers):
        compact = re.sub(r"[\s-]", "", number)
        if re.search(rf"(?<!\d){re.escape(compact)}(?!\d)", digits) and re.search(
            rf"(?<![\d-]){re.escape(number)}(?![\d-])", text
        ):
            yield (
                f"writes the number {number} out; "
                "use its placeholder (such as {emergency_number})"
            )


def title_as_phrase(text: str, titles: frozenset[str]) -> Iterator[str]:
    """A card title ("Contact the clinic") inside a sentence, where words belong."""
    for title in titles:
        if " " not in title:
            continue
        for match in re.finditer(re.escape(title), text):
            before = text[: match.start()].rstrip()
            if before and before[-1].isalpha() and before[-1].islower():
                yield f"uses the card title {title!r} as a phrase; say it in words"
                break


def answer_problems(content: Content, answer: Answer) -> Iterator[tuple[str, str]]:
    """``(key path, problem)`` for one answer, as it is rendered in this locale."""
    safety = answer.key.startswith("safety.")
    limit = SAFETY_FIRST_MAX_WORDS if safety else FIRST_ANSWER_MAX_WORDS
    if safety:
        first = spoken(content, answer.first)
    else:
        topic_key, _, rest = answer.key.removeprefix("topics.").partition(".items.")
        rendered = answer_part(content, TopicPosition(topic_key, rest or None, 0))
        first = spoken(content, *(rendered[0].speech if rendered else (answer.first,)))
    if word_count(first) > limit:
        said = "spoken words" if safety else "spoken words with the line after it"
        yield f"{answer.key}.first", f"{word_count(first)} {said}; at most {limit}"
    if not safety and _OPENS_YES_NO.match(answer.first):
        yield f"{answer.key}.first", "opens with yes or no; it may be answering a statement"
    for index, part in enumerate(answer.more):
        count = word_count(spoken(content, part))
        if count > PART_MAX_WORDS:
            yield f"{answer.key}.more[{index}]", f"{count} spoken words; at most {PART_MAX_WORDS}"
    texts = [("first", answer.first), *((f"more[{i}]", p) for i, p in enumerate(answer.more))]
    if answer.reprompt:
        texts.append(("reprompt", answer.reprompt))
    for field, text in texts:
        for problem in text_problems(spoken(content, text)):
            yield f"{answer.key}.{field}", problem
    for problem in text_problems(plain(answer.card, content), card=True):
        yield f"{answer.key}.card", problem


def locale_problems(content: Content, numbers: frozenset[str]) -> Iterator[tuple[str, str]]:
    """Every writing problem of one locale, as ``(key path, problem)``."""
    answers = list(all_answers(content))
    titles = frozenset(answer.title for answer in answers)
    for answer in answers:
        yield from answer_problems(content, answer)
        texts = [("first", answer.first), *((f"more[{i}]", p) for i, p in enumerate(answer.more))]
        for field, text in texts:
            for problem in literal_numbers(text, numbers):
                yield f"{answer.key}.{field}", problem
            for problem in title_as_phrase(spoken(content, text), titles):
                yield f"{answer.key}.{field}", problem
        for message in ("offer_more_reprompt", "topic_done"):
            said = spoken(content, fill(content.messages[message], {"name": answer.name}))
            for problem in title_as_phrase(said, titles):
                yield f"{answer.key}.name", f"{problem} (in messages.{message})"
    for key, text in sorted(content.messages.items()):
        rendered = spoken(content, text)
        if word_count(rendered) > MESSAGE_MAX_WORDS:
            yield (
                f"messages.{key}",
                f"{word_count(rendered)} spoken words; at most {MESSAGE_MAX_WORDS}",
            )
        for problem in (*text_problems(rendered), *literal_numbers(text, numbers)):
            yield f"messages.{key}", problem
