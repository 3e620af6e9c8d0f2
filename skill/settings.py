"""Typed settings, read once from the environment.

Every variable is namespaced ``SKILL_*`` (plus AWS's own). Explicit arguments beat the
environment, which beats the defaults; the defaults are the safe ones (verification on,
preferences kept on this machine, nothing sent anywhere).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

PACKAGE_DIR = Path(__file__).absolute().parent  # no resolve(): it stats every component
PROJECT_DIR = PACKAGE_DIR.parent

ENV_SKILL_ID = "SKILL_ID"
ENV_TABLE_NAME = "SKILL_TABLE_NAME"
ENV_STORE_PATH = "SKILL_STORE_PATH"
ENV_CONTENT_DIR = "SKILL_CONTENT_DIR"
ENV_MODEL_DIR = "SKILL_MODEL_DIR"
ENV_LOG_LEVEL = "SKILL_LOG_LEVEL"
ENV_LAMBDA_FUNCTION = "AWS_LAMBDA_FUNCTION_NAME"

DEFAULT_LOCALE = "en-US"


#: The embedded store of a checkout: its own, so a fresh clone greets a new user (gitignored).
CHECKOUT_STORE = PROJECT_DIR / ".state" / "preferences.json"


def _default_store_path(environ: Mapping[str, str]) -> Path:
    """Where the embedded preference store lives when no DynamoDB table is configured."""
    if environ.get(ENV_LAMBDA_FUNCTION):  # only /tmp is writable in Lambda
        return Path("/tmp/migraine-helper/preferences.json")  # noqa: S108
    return CHECKOUT_STORE


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


class Settings(NamedTuple):
    """What the skill needs to know about where it runs.

    A NamedTuple rather than a dataclass: as immutable, and about a millisecond cheaper to
    define at cold start. Change one with ``settings._replace(skill_id=...)``.
    """

    skill_id: str | None = None
    table_name: str | None = None
    store_path: Path = _default_store_path(os.environ)  # as the process started
    content_dir: Path = PROJECT_DIR / "content"  # beside skill/ in a checkout and a bundle
    model_dir: Path = PROJECT_DIR / "interaction_model"
    log_level: str = "INFO"
    in_lambda: bool = False  # running in AWS Lambda (AWS_LAMBDA_FUNCTION_NAME is set)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        content_dir = env.get(ENV_CONTENT_DIR)
        model_dir = env.get(ENV_MODEL_DIR)
        store_path = env.get(ENV_STORE_PATH)
        return cls(
            skill_id=_blank_to_none(env.get(ENV_SKILL_ID)),
            table_name=_blank_to_none(env.get(ENV_TABLE_NAME)),
            store_path=Path(store_path) if store_path else _default_store_path(env),
            content_dir=Path(content_dir) if content_dir else PROJECT_DIR / "content",
            model_dir=Path(model_dir) if model_dir else PROJECT_DIR / "interaction_model",
            log_level=(env.get(ENV_LOG_LEVEL) or "INFO").upper(),
            in_lambda=bool(env.get(ENV_LAMBDA_FUNCTION)),
        )
