"""See the Echo Show screen without a device: APL files to paste, and plain HTML previews.

``write_preview(out_dir, settings)`` writes, for a few key answers (the welcome, a topic
answer, the emergency question and the emergency answer):

- ``calm_document.json``: the APL document, for the "APL" tab of the developer console's
  APL authoring tool, and ``<answer>.datasources.json`` for its "Data" tab;
- ``<answer>.html``: a self-contained page (inline CSS, no scripts, nothing fetched) that
  draws the screen at 1024 x 600 (an Echo Show hub at 160 dpi, where 1 dp is 1 px) with the
  document's own colours and sizes, read from the document so the two cannot drift apart;
- ``index.html`` linking them.

The answers come from the same functions the handlers use, so a preview shows what a person
would see. Nothing is sent anywhere and no preferences are written.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skill.content import Content, load_library
from skill.conversation import Reply
from skill.handlers.answers import first_answer, menu_reply, safety_reply
from skill.screen import Screen, datasources, load_document, screen_for
from skill.settings import DEFAULT_LOCALE, Settings

#: The Echo Show hub viewport the HTML preview draws (dp; 1 dp = 1 px at 160 dpi).
PREVIEW_WIDTH = 1024
PREVIEW_HEIGHT = 600
#: The topic previewed when the content has it (otherwise its first topic).
PREVIEW_TOPIC = "triggers"
FONT_STACK = '"Amazon Ember Display", "Amazon Ember", "Helvetica Neue", Arial, sans-serif'


def preview_replies(content: Content) -> list[tuple[str, Reply]]:
    """The answers previewed, by file name: the ones a person mid-attack sees most."""
    topic = PREVIEW_TOPIC if PREVIEW_TOPIC in content.topics else next(iter(content.topics))
    return [
        ("welcome", menu_reply(content, returning=False)),
        ("topic", first_answer(content, topic)[0]),
        ("emergency_check", safety_reply(content, "emergency_check")),
        ("emergency", safety_reply(content, "call_now")),
    ]


def write_preview(out_dir: Path, settings: Settings, *, locale: str = DEFAULT_LOCALE) -> list[Path]:
    """Write the APL files and HTML previews into ``out_dir``; return the paths written."""
    content = load_library(settings.content_dir).for_locale(locale)
    document = load_document()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [_write(out_dir / "calm_document.json", _json(document))]
    pages: list[tuple[str, Path]] = []
    for name, reply in preview_replies(content):
        screen = screen_for(content, reply)
        if screen is None:  # not for these replies; kept so a content change cannot crash it
            continue
        written.append(_write(out_dir / f"{name}.datasources.json", _json(datasources(screen))))
        page = _write(out_dir / f"{name}.html", render_html(document, screen, name=name))
        written.append(page)
        pages.append((name, page))
    index = _index_html(content, pages, _base_resources(document))
    written.append(_write(out_dir / "index.html", index))
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- HTML


def _base_resources(document: Mapping[str, Any]) -> dict[str, str]:
    """The document's hub-sized colours and dimensions (resource blocks without ``when``)."""
    values: dict[str, str] = {}
    for block in document.get("resources", []):
        if "when" not in block:
            values.update(block.get("colors", {}))
            values.update(block.get("dimensions", {}))
    return values


def _style(document: Mapping[str, Any], name: str, resources: Mapping[str, str]) -> dict[str, Any]:
    """A document style's properties with ``@resource`` references resolved."""
    merged: dict[str, Any] = {}
    for values in document["styles"][name]["values"]:
        merged.update(values)
    return {
        key: resources.get(value[1:], value)
        if isinstance(value, str) and value.startswith("@")
        else value
        for key, value in merged.items()
    }


def _px(dimension: object) -> str:
    """An APL absolute dimension ("40dp", 40) as CSS pixels at 160 dpi."""
    text = str(dimension).strip()
    return f"{float(text.removesuffix('dp')):g}px"


def _text_css(style: Mapping[str, Any]) -> str:
    rules = [f"color:{style['color']}", f"font-size:{_px(style['fontSize'])}"]
    if "fontWeight" in style:
        rules.append(f"font-weight:{style['fontWeight']}")
    rules.append(f"line-height:{style.get('lineHeight', 1.25)}")
    if style.get("maxLines"):
        rules += [
            "display:-webkit-box",
            f"-webkit-line-clamp:{style['maxLines']}",
            "-webkit-box-orient:vertical",
            "overflow:hidden",
        ]
    return ";".join(rules)


def screen_css(document: Mapping[str, Any]) -> str:
    """The CSS that draws a screen (``.screen`` and its lines) with the document's own styles.

    Shared by these previews and the simulator page, so both draw the same screen.
    """
    resources = _base_resources(document)
    background = resources["calmBackground"]
    gap = _px(resources["calmGap"])
    pad = f"{_px(resources['calmPaddingY'])} {_px(resources['calmPaddingX'])}"
    title_css = _text_css(_style(document, "calmTitle", resources))
    body_css = _text_css(_style(document, "calmBody", resources))
    emergency_css = _text_css(_style(document, "calmEmergency", resources))
    return f""".screen{{box-sizing:border-box;width:{PREVIEW_WIDTH}px;height:{PREVIEW_HEIGHT}px;
background:{background};padding:{pad};display:flex;flex-direction:column;overflow:hidden}}
.screen p{{margin:0;padding-bottom:{gap};overflow-wrap:anywhere}}
.emergency{{{emergency_css}}}
.title{{{title_css}}}
.screen .body{{{body_css};flex:1 1 auto;min-height:0;overflow-y:auto;padding-bottom:0}}"""


def screen_markup(screen: Screen) -> str:
    """One screen as HTML (escaped), drawn by :func:`screen_css`."""
    emergency = (
        f'<p class="emergency">{html.escape(screen.emergency)}</p>' if screen.emergency else ""
    )
    return f"""<div class="screen">
{emergency}<p class="title">{html.escape(screen.title)}</p>
<p class="body">{html.escape(screen.body)}</p>
</div>"""


def render_html(document: Mapping[str, Any], screen: Screen, *, name: str = "screen") -> str:
    """One screen as a self-contained HTML page, drawn with the document's own styles."""
    caption_colour = _base_resources(document)["calmTitle"]
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="color-scheme" content="dark">
<title>Echo Show preview: {html.escape(name)}</title>
<style>
html,body{{margin:0;background:#000;font-family:{FONT_STACK}}}
main{{padding:24px}}
{screen_css(document)}
.caption{{color:{caption_colour};font-size:14px;margin:12px 0 0}}
</style>
</head>
<body>
<main>
{screen_markup(screen)}
<p class="caption">{html.escape(name)}: Echo Show {PREVIEW_WIDTH} &times; {PREVIEW_HEIGHT}
(hub sizes). The device draws the APL document; this page copies its colours and sizes.</p>
</main>
</body>
</html>
"""


def _index_html(
    content: Content, pages: list[tuple[str, Path]], resources: Mapping[str, str]
) -> str:
    links = "\n".join(
        f'<li><a href="{html.escape(page.name)}">{html.escape(name)}</a></li>'
        for name, page in pages
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="color-scheme" content="dark">
<title>{html.escape(content.skill_name)}: screen previews ({html.escape(content.locale)})</title>
<style>
body{{margin:0;padding:32px;background:{resources["calmBackground"]};
color:{resources["calmBody"]};font-family:{FONT_STACK};font-size:20px}}
a{{color:{resources["calmBody"]}}}
</style>
</head>
<body>
<p>{html.escape(content.skill_name)} ({html.escape(content.locale)}): Echo Show previews.
Paste calm_document.json into the APL authoring tool's APL tab and a
.datasources.json file into its Data tab.</p>
<ul>
{links}
</ul>
</body>
</html>
"""
