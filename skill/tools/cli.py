"""``python -m skill serve | ask | chat | check | preview | review``: run and try it locally."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from skill.settings import DEFAULT_LOCALE, Settings


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from skill.web import UnsafeHostError, run_server  # Flask stays off the other paths

    try:
        run_server(args.host, args.port, dev=args.dev, settings=settings)
    except UnsafeHostError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the port is taken, or the host cannot be bound
        print(f"error: cannot serve on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


def _print_turn(turn: object, *, explain: bool, cards: bool) -> None:
    from skill.tools.console import Turn

    assert isinstance(turn, Turn)
    if explain:
        print(turn.explain(), file=sys.stderr)
    print(turn.speech)
    if cards and turn.card:
        print("\n[card] " + turn.card.replace("\n", "\n       "))


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from skill.tools.console import Console

    console = Console(settings, locale=args.locale, strict=args.strict)
    _print_turn(console.say(args.utterance), explain=args.explain, cards=args.cards)
    console.end()
    return 0


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from skill.tools.console import Console

    console = Console(settings, locale=args.locale, strict=args.strict)
    interactive = sys.stdin.isatty()
    print(
        "Type what you would say to Alexa (for example: open migraine helper). "
        "Ctrl-D or 'quit' leaves.",
        file=sys.stderr,
    )
    while True:
        try:
            utterance = input("you> " if interactive else "")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            break
        if utterance.strip().lower() in {"quit", "exit"} and utterance.strip():
            break
        if not utterance.strip():
            continue
        turn = console.say(utterance)
        print("alexa> ", end="")
        _print_turn(turn, explain=args.explain, cards=args.cards)
        if turn.ended:
            print("(session ended; say something to start a new one)", file=sys.stderr)
    console.end()
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from skill.tools.check import run_checks

    report = run_checks(settings, strict=args.strict)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if report.problems:
        print(f"{len(report.problems)} problem(s):", file=sys.stderr)
        for problem in report.problems:
            print(f"- {problem}", file=sys.stderr)
        return 1
    print("content, triage rules, interaction models and speech: all checks passed")
    return 0


def _model(args: argparse.Namespace, settings: Settings) -> int:
    from skill.tools.grammar import GrammarError, write_models

    try:
        written = write_models(settings.model_dir)
    except GrammarError as error:
        print(error, file=sys.stderr)
        return 1
    for path in written:
        document = json.loads(path.read_text(encoding="utf-8"))
        if "interactionModel" in document:
            intents = document["interactionModel"]["languageModel"]["intents"]
            samples = sum(len(intent.get("samples", [])) for intent in intents)
            print(f"{path}: {samples} samples, {path.stat().st_size:,} bytes")
        else:
            print(f"{path}: routing index of {len(document['intents'])} intents")
    return 0


def _preview(args: argparse.Namespace, settings: Settings) -> int:
    from skill.tools.preview import write_preview

    for path in write_preview(args.out, settings, locale=args.locale):
        print(path)
    return 0


def _review(args: argparse.Namespace, settings: Settings) -> int:
    from skill.content import ContentError
    from skill.tools.review import write_report

    try:
        summary = write_report(args.out, settings.content_dir)
    except ContentError as error:  # nothing to report on until `check` passes the content
        print(f"error: cannot write the review report; {error}", file=sys.stderr)
        return 1
    print(summary.line())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m skill", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the skill over HTTP (POST /)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument(
        "--dev",
        action="store_true",
        help="turn off Alexa signature and timestamp checks (loopback hosts only)",
    )
    serve.set_defaults(run=_serve)

    for name, run, text in (
        ("ask", _ask, "print the answer to one utterance"),
        ("chat", _chat, "a conversation across turns"),
    ):
        command = commands.add_parser(name, help=text)
        if name == "ask":
            command.add_argument(
                "utterance", help='what you would say, e.g. "what triggers migraines"'
            )
        command.add_argument("--locale", default=DEFAULT_LOCALE)
        command.add_argument(
            "--explain",
            action="store_true",
            help="show what was understood, and how: exactly, or only by similarity",
        )
        command.add_argument(
            "--strict",
            action="store_true",
            help="match only as the emulator (and a literal device) would: exact samples",
        )
        command.add_argument("--cards", action="store_true", help="show the Alexa app card too")
        command.set_defaults(run=run)

    check = commands.add_parser("check", help="validate content, interaction models and SSML")
    check.add_argument(
        "--strict",
        action="store_true",
        help="also fail on an answer whose clinical review is out of date (release pipelines)",
    )
    check.set_defaults(run=_check)

    model = commands.add_parser(
        "model", help="expand interaction_model/grammar/ into the committed ASK models"
    )
    model.set_defaults(run=_model)

    preview = commands.add_parser(
        "preview", help="write the Echo Show screen as HTML and APL authoring-tool JSON"
    )
    preview.add_argument("--out", type=Path, default=Path("build/preview"))
    preview.add_argument("--locale", default=DEFAULT_LOCALE)
    preview.set_defaults(run=_preview)

    review = commands.add_parser(
        "review", help="write the clinician review report (HTML, printable) of every answer"
    )
    review.add_argument(
        "--out", type=Path, default=Path("build/review"), help="folder for the *.html pages"
    )
    review.set_defaults(run=_review)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    code: int = args.run(args, settings)
    return code


if __name__ == "__main__":
    sys.exit(main())
