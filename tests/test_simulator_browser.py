"""The simulator page in a real browser: Debian's Chromium, headless, driven by Playwright.

The real dev server (waitress, ``create_server`` on loopback, port 0) serves the page; the
browser types, picks and listens as a person would. What the page shows is checked against
the console (``skill.tools.console``), the independent way to the same answers. Requests for
anything but the server are refused and listed, so the test proves the page fetches nothing
from elsewhere. The last test saves ``build/simulator.png``.

Playwright drives it directly (pytest-playwright's fixtures expect Playwright's own browser
download, which is not used): ``CHROMIUM`` (default ``/usr/bin/chromium``,
which ``make setup-chromium`` installs) is. Without it the tests skip, except in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, Route, ViewportSize, expect, sync_playwright
from web_support import running

from skill.app import build_skill, handle_event
from skill.content import ContentLibrary
from skill.settings import PROJECT_DIR, Settings
from skill.tools.console import Console
from skill.web import create_app, create_server

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
#: Needed on this kind of machine: no user namespaces for the sandbox, no GPU, and none of
#: Chromium's own calls home.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = PROJECT_DIR / "build" / "simulator.png"
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


def _chromium() -> str:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    reason = (
        f"Chromium is not installed at {CHROMIUM}; `make setup-chromium` installs it "
        "(as root, with apt-get), or set CHROMIUM to its path"
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason}. In CI the browser test must run.")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, through Playwright (not Playwright's own download)."""
    executable = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def tab(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies, no storage) and its page."""
    context = chromium.new_context(viewport=VIEWPORT, locale="en-US")
    yield context.new_page()
    context.close()


@pytest.fixture
def server(tmp_path: Path, library: ContentLibrary) -> Iterator[tuple[str, Settings]]:
    """The real dev server on loopback: its base URL and its settings (a fresh store)."""
    settings = Settings(store_path=tmp_path / "preferences.json")
    app = create_app(settings, skill=build_skill(settings, library), dev=True)
    with running(create_server("127.0.0.1", 0, dev=True, settings=settings, app=app)) as url:
        yield url, settings


@pytest.fixture
def simulator(tab: Page, server: tuple[str, Settings]) -> Iterator[Page]:
    """The simulator page, with requests beyond the server refused and the voice recorded."""
    page, (base_url, _) = tab, server
    elsewhere: list[str] = []

    def only_the_server(route: Route, request: Request) -> None:
        if request.url.startswith(base_url):
            route.continue_()
        else:
            elsewhere.append(request.url)
            route.abort()

    page.route("**/*", only_the_server)
    # The browser's voice, recorded (headless Chromium has no voices to hear).
    page.add_init_script(
        "window.__spoken = [];"
        "speechSynthesis.speak = (u) => window.__spoken.push("
        "{text: u.text, lang: u.lang, volume: u.volume, rate: u.rate});"
    )
    page.set_default_timeout(15_000)
    page.goto(base_url + "simulator")
    expect(page).to_have_title("Migraine Helper simulator")
    yield page
    assert elsewhere == [], f"the page asked for something beyond the server: {elsewhere}"


def expected_answers(settings: Settings, texts: list[str], **options: Any) -> list[str]:
    """What the console answers, turn by turn, as a fresh user on its own store."""
    own = Settings(store_path=settings.store_path.with_name("console.json"))
    skill = build_skill(own)
    console = Console(
        own, invoke=lambda event: handle_event(event, skill=skill, settings=own), **options
    )
    return [console.say(text).speech for text in texts]


def last_turn(page: Page) -> Any:
    return page.locator("#transcript > li").last


def say(page: Page, text: str) -> Any:
    """Type into the box and press Enter; wait for the turn; return it."""
    turns = page.locator("#transcript > li")
    count = turns.count()
    box = page.get_by_label("What you would say to Alexa")
    box.fill(text)
    box.press("Enter")
    expect(turns).to_have_count(count + 1)
    return turns.nth(count)


def test_a_conversation_through_yes_more_and_stop(
    simulator: Page, server: tuple[str, Settings]
) -> None:
    page = simulator
    texts = ["what triggers migraines", "yes", "tell me more", "stop"]
    answers = expected_answers(server[1], texts)

    # Keyboard only: the skip link leads to the box; Enter sends what was typed.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to what you would say")).to_be_focused()
    page.keyboard.press("Enter")
    box = page.get_by_label("What you would say to Alexa")
    expect(box).to_be_focused()
    page.keyboard.type(texts[0])
    page.keyboard.press("Enter")
    first = last_turn(page)
    expect(first.locator(".answer .words")).to_have_text(answers[0])
    expect(first.locator(".understood")).to_contain_text("TriggerIntent")
    expect(first.locator(".understood")).to_contain_text("Exact match of the sample")
    expect(first.locator(".divider")).to_contain_text("New session: en-US")
    expect(page.locator("#card-title")).to_have_text("Migraine triggers")
    expect(page.locator("#card-text")).to_contain_text("Sources:")
    expect(box).to_be_focused()  # ready for the next thing to say

    for text, answer in zip(texts[1:], answers[1:], strict=True):
        turn = say(page, text)
        expect(turn.locator(".answer .words")).to_have_text(answer)
        expect(turn.locator(".divider")).to_have_count(0)  # the same session throughout
    expect(turn.locator(".understood")).to_contain_text("AMAZON.StopIntent")
    expect(turn.locator(".ended")).to_contain_text("Session ended")
    expect(page.locator("#status")).to_have_text("Session ended.")
    assert answers[1] != answers[2] and answers[2] != answers[3]


def test_a_safety_phrasing_on_an_echo_show_shows_the_emergency_number(
    simulator: Page, server: tuple[str, Settings]
) -> None:
    page = simulator
    say(page, "what triggers migraines")
    say(page, "yes")
    page.get_by_role("radio", name="Echo Show (with a screen)").check()
    expect(page.locator("#status")).to_contain_text("Device changed.")
    page.get_by_label("Or pick a phrasing").select_option(label="A red flag: a drooping face")
    page.get_by_role("button", name="Say this").click()
    turn = last_turn(page)
    (answer,) = expected_answers(server[1], ["my face is drooping"], screen=True)
    expect(turn.locator(".answer .words")).to_have_text(answer)
    assert "Call 911 now" in answer
    expect(turn.locator(".divider")).to_contain_text("New session: en-US, Echo Show")
    expect(turn.locator(".understood")).to_contain_text("RedFlagIntent")
    expect(page.locator("#card-title")).to_have_text("Call now")
    expect(page.locator("#card-text")).to_contain_text("Call 911 now")
    screen = page.frame_locator("#screen")
    expect(screen.locator(".emergency")).to_have_text("Call 911 now")
    expect(screen.locator(".body")).to_contain_text("I can't make calls")
    expect(page.locator("#screen-box")).to_be_visible()
    expect(page.locator("#screen-note")).to_have_text("The screen shows: Call 911 now.")

    page.get_by_role("button", name="Read the answer aloud").click()
    (spoken,) = page.evaluate("window.__spoken")  # emergency instructions: full volume
    assert spoken == {"text": answer, "lang": "en-US", "volume": 1, "rate": pytest.approx(0.95)}

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000


def test_the_locale_and_the_whisper_show(simulator: Page) -> None:
    page = simulator
    page.get_by_label("Locale").select_option("en-GB")
    expect(page.locator("#status")).to_contain_text("Locale changed.")
    expect(page.locator("#emergency-note")).to_have_text("Emergency number: 999")
    turn = say(page, "I took too many pills")
    expect(turn.locator(".divider")).to_contain_text("New session: en-GB")
    expect(turn.locator(".answer .words")).to_contain_text("999")
    say(page, "whisper")
    quiet = say(page, "what is an aura")
    expect(quiet.locator(".answer .tag")).to_have_text("whispered")
    page.get_by_role("button", name="Read the answer aloud").click()
    spoken = page.evaluate("window.__spoken")
    assert spoken[-1]["lang"] == "en-GB" and spoken[-1]["text"] in quiet.inner_text()
    assert spoken[-1]["volume"] == pytest.approx(0.4) and spoken[-1]["rate"] == pytest.approx(0.9)
    expect(page.locator("#screen-note")).to_contain_text("An Echo Dot has no screen")


def test_new_session_starts_the_conversation_again(
    simulator: Page, server: tuple[str, Settings]
) -> None:
    page = simulator
    say(page, "what triggers migraines")
    page.get_by_role("button", name="New session").click()
    expect(page.locator("#status")).to_contain_text("Session reset.")
    turn = say(page, "yes")
    (fresh_yes,) = expected_answers(server[1], ["yes"])
    expect(turn.locator(".divider")).to_contain_text("New session")
    expect(turn.locator(".answer .words")).to_have_text(fresh_yes)


def test_a_refused_request_is_said_plainly(simulator: Page) -> None:
    page = simulator
    page.get_by_label("What you would say to Alexa").evaluate("box => box.maxLength = 2000")
    say_box = page.get_by_label("What you would say to Alexa")
    say_box.fill("a" * 600)
    say_box.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Not sent: text is longer than 500 characters.")
    expect(page.locator("#transcript > li")).to_have_count(0)
