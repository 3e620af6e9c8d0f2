"""Structured JSON logs that carry what operators need and nothing that identifies anyone.

Each request logs one line: request type, intent, topic, locale, latency and whether it was a
cold start. User, device and session IDs, tokens and slot values are never passed to a log
call; the formatter also drops any field that is not on its allow-list, so a careless
``extra=`` cannot leak them either.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from skill.metrics import FIELDS as REQUEST_FIELDS

#: The only ``extra`` fields a log line may carry: the request line's, and what an error says.
ALLOWED_FIELDS = frozenset(REQUEST_FIELDS) | {"reason", "error_type", "error_message", "status"}
MAX_FIELD_CHARS = 200


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with allow-listed fields only."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ALLOWED_FIELDS:
            value = record.__dict__.get(name)
            if value is None:
                continue
            if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
                value = value[:MAX_FIELD_CHARS] + "..."
            line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, default=str)


def configure_logging(level: str = "INFO") -> None:
    """JSON on the existing root handlers (Lambda installs one) or on stderr."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    root.setLevel(level)
    # The SDK logs whole envelopes at DEBUG; never let that through.
    for noisy in ("ask_sdk_core", "ask_sdk_runtime", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
