"""The interaction models, generated from a phrase grammar a person can review.

``interaction_model/grammar/en.yaml`` writes each intent's samples compactly, in the phrase
notation of ``skill.phrases`` (``(a|b)`` alternatives, ``[a]`` optional words, ``{slot}``,
``~group`` for alternatives defined once under ``groups``), and each slot type's values
with the synonyms people say. A locale's file (``en-GB.yaml``) extends it: its ``samples``
and ``synonyms`` are added to the base's, its ``groups`` replace the base's of that name,
and ``remove`` drops base samples that do not belong there. ``openers`` lists the opening
words that say what open words ask ("why", "worst", "call"): each becomes an intent whose
samples are "(its forms) {words}", and the skill puts the opener back before reading them.

``python -m skill model`` expands the grammar into the committed ASK models
(``interactionModels/custom/<locale>.json``) and each model's routing index
(``routing/<locale>.json``, ``skill/routing.py``); ``check`` fails when either is not what
the grammar expands to, and reports samples that two intents would share.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from skill.handlers.safety import (
    AMBULANCE_INTENT,
    CRISIS_INTENT,
    OPENER_SLOT,
    POISONING_INTENT,
    RED_FLAG_INTENT,
    carries_words,
    opener_intent,
)
from skill.phrases import Alt, Node, PhraseError, Ref, Seq, Slot, Word, parse
from skill.routing import index_from_model, index_path, index_text

GRAMMAR_DIR = "grammar"
BASE = "en"
#: Expansions one template may produce; more means the template wants splitting.
MAX_EXPANSIONS = 3000
#: Intents the routing index leaves out besides the carriers of open words: the safety
#: intents (danger is found by the triage, never by resemblance).
NOT_ROUTED = frozenset({CRISIS_INTENT, POISONING_INTENT, AMBULANCE_INTENT, RED_FLAG_INTENT})
#: The group of fillers that may come before an opener ("okay so why ...").
OPENING_GROUP = "opening"
#: Alexa's own limit on a sample's length, in characters.
MAX_SAMPLE_CHARS = 200


class GrammarError(ValueError):
    """The grammar is broken; ``problems`` names each, with the file and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("grammar problems:\n" + "\n".join(f"- {p}" for p in problems))


class Grammar(NamedTuple):
    """One locale's merged grammar."""

    locale: str
    invocation: str
    groups: Mapping[str, str]
    intents: Mapping[str, Mapping[str, Any]]  # name -> {slots: {name: type}, samples: [...]}
    types: Mapping[str, Mapping[str, list[str]]]  # type -> value id -> [value, synonyms...]


def grammar_files(model_dir: Path) -> dict[str, Path]:
    return {path.stem: path for path in sorted((model_dir / GRAMMAR_DIR).glob("*.yaml"))}


def locales(model_dir: Path) -> list[str]:
    return [name for name in grammar_files(model_dir) if name != BASE]


def _read(path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    except (OSError, yaml.YAMLError) as error:
        raise GrammarError(
            [f"{path.name}: cannot be read ({' '.join(str(error).split())})"]
        ) from error
    if not isinstance(loaded, dict):
        raise GrammarError([f"{path.name}: must be a mapping"])
    return loaded


def load_grammar(model_dir: Path, locale: str) -> Grammar:
    """The base grammar with the locale's file over it."""
    files = grammar_files(model_dir)
    if locale not in files:
        raise GrammarError([f"{GRAMMAR_DIR}/{locale}.yaml: missing"])
    base, local = _read(files[BASE]), _read(files[locale])
    problems: list[str] = []
    groups = {**base.get("groups", {}), **local.get("groups", {})}
    intents: dict[str, dict[str, Any]] = {}
    for source, document in ((BASE, base), (locale, local)):
        for name, node in (document.get("intents") or {}).items():
            target = intents.setdefault(name, {"slots": {}, "samples": []})
            if not isinstance(node, Mapping):
                problems.append(f"{source}.yaml: intents.{name}: must be a mapping")
                continue
            target["slots"].update(node.get("slots") or {})
            target["samples"].extend(node.get("samples") or [])
            removed = set(node.get("remove") or [])
            if removed:
                target["samples"] = [s for s in target["samples"] if s not in removed]
    types: dict[str, dict[str, list[str]]] = {}
    for source, document in ((BASE, base), (locale, local)):
        for type_name, values in (document.get("types") or {}).items():
            table = types.setdefault(type_name, {})
            if not isinstance(values, Mapping):
                problems.append(f"{source}.yaml: types.{type_name}: must map value ids to words")
                continue
            for value_id, words in values.items():
                table.setdefault(str(value_id), []).extend(str(w) for w in (words or []))
    openers: dict[str, list[str]] = {}
    for source, document in ((BASE, base), (locale, local)):
        for opener, forms in (document.get("openers") or {}).items():
            if not isinstance(forms, list) or not all(isinstance(f, str) for f in forms):
                problems.append(f"{source}.yaml: openers.{opener}: must list what people say")
                continue
            openers.setdefault(str(opener), []).extend(forms)
    lead = f"~{OPENING_GROUP} " if OPENING_GROUP in groups else ""
    for opener, forms in openers.items():
        said = "|".join(dict.fromkeys(forms))
        intents[opener_intent(opener)] = {
            "slots": {OPENER_SLOT: "AMAZON.SearchQuery"},
            "samples": [f"{lead}({said}) {{{OPENER_SLOT}}}"],
        }
    if problems:
        raise GrammarError(problems)
    return Grammar(
        locale=locale,
        invocation=str(local.get("invocation", base.get("invocation", ""))),
        groups=groups,
        intents=intents,
        types=types,
    )


def expand(template: str, groups: Mapping[str, str]) -> list[str]:
    """Every sample ``template`` stands for, in order, without duplicates."""
    tree = parse(template, normal_form=False)
    seen: dict[str, None] = {}
    for words in _expand(tree, groups, depth=0):
        sample = " ".join(words.split())
        if sample:
            seen.setdefault(sample, None)
        if len(seen) > MAX_EXPANSIONS:
            raise PhraseError(f"expands to more than {MAX_EXPANSIONS} samples; split it")
    return list(seen)


def _expand(node: Node, groups: Mapping[str, str], depth: int) -> Iterator[str]:
    if depth > 8:
        raise PhraseError("groups refer to each other too deeply")
    if isinstance(node, Word):
        yield node.text
    elif isinstance(node, Slot):
        yield f"{{{node.name}}}"
    elif isinstance(node, Ref):
        if node.name not in groups:
            raise PhraseError(f"~{node.name} is not a group")
        yield from _expand(parse(groups[node.name], normal_form=False), groups, depth + 1)
    elif isinstance(node, Seq):
        parts = [list(_expand(item, groups, depth)) for item in node.items]
        for combination in itertools.product(*parts):
            yield " ".join(part for part in combination if part)
    elif isinstance(node, Alt):
        if node.optional:
            yield ""
        for option in node.options:
            yield from _expand(option, groups, depth)
    else:
        raise PhraseError(f"{type(node).__name__.lower()}s belong in triage rules, not samples")


def build_model(grammar: Grammar) -> dict[str, Any]:
    """The ASK interaction model the grammar stands for; raises ``GrammarError``."""
    problems: list[str] = []
    intents = []
    for name, node in grammar.intents.items():
        samples: dict[str, None] = {}
        for template in node["samples"]:
            try:
                for sample in expand(str(template), grammar.groups):
                    samples.setdefault(sample, None)
            except PhraseError as error:
                problems.append(f"{grammar.locale}: intents.{name}: {template!r}: {error}")
        too_long = [s for s in samples if len(s) > MAX_SAMPLE_CHARS]
        problems.extend(f"{grammar.locale}: intents.{name}: {s!r} is too long" for s in too_long)
        intent: dict[str, Any] = {"name": name}
        if node["slots"]:
            intent["slots"] = [
                {"name": slot, "type": type_name} for slot, type_name in node["slots"].items()
            ]
        intent["samples"] = list(samples)
        intents.append(intent)
    types = [
        {
            "name": type_name,
            "values": [
                {
                    "id": value_id,
                    "name": {
                        "value": words[0],
                        **({"synonyms": list(dict.fromkeys(words[1:]))} if words[1:] else {}),
                    },
                }
                for value_id, words in values.items()
                if words
            ],
        }
        for type_name, values in grammar.types.items()
    ]
    if problems:
        raise GrammarError(problems)
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": grammar.invocation,
                "intents": intents,
                "types": types,
            }
        }
    }


def model_text(model: Mapping[str, Any]) -> str:
    """The committed form of a model: stable, readable JSON."""
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def model_file(model_dir: Path, locale: str) -> Path:
    return model_dir / "interactionModels" / "custom" / f"{locale}.json"


def routing_text(model: Mapping[str, Any]) -> str:
    """The committed routing index of a model (``skill/routing.py``)."""
    intents = [intent["name"] for intent in model["interactionModel"]["languageModel"]["intents"]]
    return index_text(index_from_model(model, [i for i in intents if routed(i)]))


def routed(intent: str) -> bool:
    """Whether open words may be routed to ``intent``: topics, help, voice, the emergency
    questions; not the conversation's controls (stop, yes, repeat), never a safety intent."""
    if intent.startswith("AMAZON."):
        return intent == "AMAZON.HelpIntent"
    return intent not in NOT_ROUTED and not carries_words(intent)


def write_models(model_dir: Path) -> list[Path]:
    """Expand every locale's grammar into its model and routing index; return the files."""
    written = []
    for locale in locales(model_dir):
        model = build_model(load_grammar(model_dir, locale))
        for path, text in (
            (model_file(model_dir, locale), model_text(model)),
            (index_path(model_dir, locale), routing_text(model)),
        ):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def stale_models(model_dir: Path) -> list[str]:
    """Problems where a committed model is not what its grammar expands to."""
    problems = []
    for locale in locales(model_dir):
        try:
            model = build_model(load_grammar(model_dir, locale))
        except GrammarError as error:
            problems.extend(error.problems)
            continue
        for path, expected in (
            (model_file(model_dir, locale), model_text(model)),
            (index_path(model_dir, locale), routing_text(model)),
        ):
            shown = path.relative_to(model_dir)
            if not path.is_file():
                problems.append(f"{shown}: missing; run `python -m skill model`")
            elif path.read_text(encoding="utf-8") != expected:
                problems.append(
                    f"{shown}: not what grammar/{locale}.yaml expands to; "
                    "run `python -m skill model` and commit the result"
                )
    return problems
