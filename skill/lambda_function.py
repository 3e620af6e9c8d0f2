"""The AWS Lambda entry (``Handler: skill.lambda_function.handler``): no logic of its own."""

from __future__ import annotations

from typing import Any

from skill.app import handle_event


def handler(event: Any, context: Any) -> dict[str, Any]:
    return handle_event(event, context)
