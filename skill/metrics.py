"""One line per request: the log operators read, and the anonymous counts the clinic sees.

The line is JSON in CloudWatch's embedded metric format (EMF): CloudWatch Logs turns it into
metrics in the ``MigraineHelper`` namespace (requests by kind, by topic, by safety level;
latency), and the same fields answer Logs Insights queries (by slot item, by locale). It
carries only allow-listed fields with values the skill chose (topic keys, item ids, levels),
never a user, device or session id and never the words a person said.

Written straight to the stream rather than through ``logging``: a logging record, its
handlers and formatter cost 50-70 microseconds a request, this about a tenth of that; and
EMF needs the whole line to be the JSON document, which Lambda's log handler would prefix.
Powertools Metrics (about 50 ms to import) and aws-embedded-metrics (over 300 ms) would each
cost more cold start than the skill's own code, so these few lines stand in for them.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

NAMESPACE = "MigraineHelper"
#: What a request was, for the ``Kind`` dimension (a handful of values, never free text).
KINDS = frozenset(
    {
        "launch",
        "topic",
        "safety",
        "statement",
        "fallback",
        "dialog",
        "error",
        "session_end",
        "other",
    }
)
#: The metric dimensions: each set is one metric series per combination of values.
DIMENSIONS = (("Kind",), ("Topic",), ("SafetyLevel",))
#: The fields a line may carry; anything else is dropped before it is written.
FIELDS = (
    "request_type",
    "intent",
    "topic",
    "item",
    "safety",
    "locale",
    "latency_ms",
    "cold_start",
)
MAX_FIELD_CHARS = 80  # an intent name from a request is the only unbounded value

Sink = Callable[[str], None]


def stream_sink(stream: TextIO) -> Sink:
    def write(line: str) -> None:
        stream.write(line + "\n")

    return write


class RequestRecorder:
    """Builds and writes the per-request line; ``enabled`` follows the log level."""

    def __init__(self, sink: Sink | None = None, *, enabled: bool = True) -> None:
        self.sink: Sink = sink if sink is not None else stream_sink(sys.stdout)
        self.enabled = enabled

    def record(self, kind: str, fields: Mapping[str, Any]) -> None:
        if not self.enabled:
            return
        self.sink(request_line(kind, fields))


def request_line(kind: str, fields: Mapping[str, Any], now_ms: int | None = None) -> str:
    """The JSON line for one request (EMF metadata, metrics, dimensions and fields).

    The metadata is one of four fixed strings (which dimension sets apply), and the fields
    one ``json.dumps``: about 5 microseconds a request.
    """
    body: dict[str, Any] = {"Kind": kind if kind in KINDS else "other"}
    topic, safety = fields.get("topic"), fields.get("safety")
    if isinstance(topic, str):
        body["Topic"] = topic
    if isinstance(safety, str):
        body["SafetyLevel"] = safety
    latency = fields.get("latency_ms")
    if isinstance(latency, int | float):
        body["Latency"] = latency
    for name in FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            value = value[:MAX_FIELD_CHARS] + "..."
        body[name] = value
    head = _HEADS[(isinstance(topic, str), isinstance(safety, str))]
    timestamp = now_ms if now_ms is not None else int(time.time() * 1000)
    return head % timestamp + json.dumps(body, separators=(",", ":"), default=str)[1:]


def _head(has_topic: bool, has_safety: bool) -> str:
    present = {"Kind": True, "Topic": has_topic, "SafetyLevel": has_safety}
    dimensions = [list(d) for d in DIMENSIONS if all(present[name] for name in d)]
    metadata = {
        "CloudWatchMetrics": [
            {
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": [
                    {"Name": "Requests", "Unit": "Count"},
                    {"Name": "Latency", "Unit": "Milliseconds"},
                ],
            }
        ]
    }
    encoded = json.dumps(metadata, separators=(",", ":")).replace("%", "%%")
    fixed = ',"level":"INFO","message":"request handled","Requests":1,'
    return '{"_aws":{"Timestamp":%d,' + encoded[1:] + fixed


#: The fixed start of a line, by (has a topic, has a safety level).
_HEADS = {(t, s): _head(t, s) for t in (False, True) for s in (False, True)}
