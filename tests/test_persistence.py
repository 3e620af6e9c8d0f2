"""The preference store: only two preferences, hashed keys, fast failure, real DynamoDB API.

The DynamoDB tests run against a real dynalite server (node_modules/.bin/dynalite) on a
loopback port; boto3 finds it through AWS_ENDPOINT_URL_DYNAMODB, exactly as in production
configuration, so the code under test has no test-only paths.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model.context import Context
from ask_sdk_model.interfaces.system.system_state import SystemState
from ask_sdk_model.request_envelope import RequestEnvelope
from ask_sdk_model.user import User
from dynalite_support import (
    AWS_ENV_TO_CLEAR,
    REPO_ROOT,
    DynaliteServer,
    closed_port,
    create_table,
    hanging_server,
    running_dynalite,
)

from skill.persistence import (
    ANONYMOUS,
    PREFERENCE_KEYS,
    TTL_ATTRIBUTE,
    DynamoStore,
    FileStore,
    PersistenceError,
    build_store,
    sanitise,
    user_key,
)
from skill.settings import Settings

USER_ID = "amzn1.ask.account.AEXAMPLEUSERIDTHATMUSTNEVERBESTORED0123456789"
OTHER_USER_ID = "amzn1.ask.account.ASECONDEXAMPLEUSER9876543210"
#: What a person might say mid-attack: must never reach any store.
SENSITIVE = "my left arm is numb and I have the worst headache of my life"
#: Budget for one failed call against a store that is down or hanging (contract: ~1 s).
FAILURE_BUDGET_S = 1.5


def envelope(user_id: str | None = USER_ID) -> RequestEnvelope:
    user = User(user_id=user_id) if user_id is not None else None
    return RequestEnvelope(context=Context(system=SystemState(user=user)))


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def dynalite() -> Iterator[DynaliteServer]:
    with running_dynalite() as server:
        yield server


def _isolate_aws(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in AWS_ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def aws(dynalite: DynaliteServer, monkeypatch: pytest.MonkeyPatch) -> DynaliteServer:
    """boto3 pointed at dynalite through the environment, with fake credentials."""
    _isolate_aws(monkeypatch, dynalite.env())
    return dynalite


@pytest.fixture
def table(aws: DynaliteServer) -> str:
    return create_table(aws)


def scan(server: DynaliteServer, table_name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = server.client().scan(TableName=table_name)["Items"]
    return items


# --------------------------------------------------------------------------------------------
# sanitise and user_key


def test_sanitise_keeps_only_the_two_preferences() -> None:
    dirty = {
        "heard_welcome": True,
        "voice": "whisper",
        "last_symptom": SENSITIVE,
        "lastIntent": "RedFlagIntent",
        "user_id": USER_ID,
    }
    assert sanitise(dirty) == {"heard_welcome": True, "voice": "whisper"}
    assert set(sanitise(dirty)) <= PREFERENCE_KEYS


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"heard_welcome": False, "voice": "normal"}, {"heard_welcome": False, "voice": "normal"}),
        ({"voice": " WHISPER "}, {"voice": "whisper"}),
        ({"voice": "shout"}, {}),
        ({"voice": 1}, {}),
        ({"heard_welcome": "true"}, {}),  # a string is not a bool
        ({"heard_welcome": None}, {}),
        ({"heard_welcome": Decimal("1")}, {"heard_welcome": True}),  # DynamoDB number
        ({"heard_welcome": Decimal("0")}, {"heard_welcome": False}),
        ({"heard_welcome": Decimal("2")}, {}),
        ({"heard_welcome": Decimal("NaN")}, {}),
        ({"heard_welcome": Decimal("sNaN")}, {}),
        ({"heard_welcome": 1.0}, {"heard_welcome": True}),
        ({"heard_welcome": 0.5}, {}),
        ({"heard_welcome": float("nan")}, {}),
        ({}, {}),
    ],
)
def test_sanitise_values(attributes: dict[str, object], expected: dict[str, object]) -> None:
    result = sanitise(attributes)
    assert result == expected
    for key, value in result.items():  # bool, never a Decimal/float that merely equals one
        assert type(value) is (bool if key == "heard_welcome" else str)


def test_sanitise_of_something_that_is_not_a_mapping() -> None:
    assert sanitise(None) == {}
    assert sanitise(["heard_welcome", True]) == {}  # type: ignore[arg-type]


def test_user_key_is_the_sha256_of_the_user_id() -> None:
    key = user_key(envelope())
    assert key == hashlib.sha256(USER_ID.encode()).hexdigest()
    assert USER_ID not in key
    assert user_key(envelope(OTHER_USER_ID)) != key
    raw = {"context": {"System": {"user": {"userId": USER_ID}}}}
    assert user_key(raw) == key  # a raw JSON envelope works too


@pytest.mark.parametrize(
    "request_envelope",
    [
        None,
        RequestEnvelope(),
        RequestEnvelope(context=Context(system=SystemState())),
        envelope(None),
        envelope(""),
        {"context": {"System": {}}},
    ],
)
def test_user_key_without_a_user_is_anonymous(request_envelope: Any) -> None:
    assert user_key(request_envelope) == ANONYMOUS


def test_persistence_error_is_the_sdk_exception() -> None:
    assert issubclass(PersistenceError, PersistenceException)


# --------------------------------------------------------------------------------------------
# DynamoDB (real dynalite)


def test_dynamo_save_and_load(table: str) -> None:
    store = DynamoStore(table)
    assert store.get_attributes(envelope()) == {}
    store.save_attributes(envelope(), {"heard_welcome": True, "voice": "whisper"})
    loaded = store.get_attributes(envelope())
    assert loaded == {"heard_welcome": True, "voice": "whisper"}
    assert type(loaded["heard_welcome"]) is bool
    assert store.get_attributes(envelope(OTHER_USER_ID)) == {}


def test_dynamo_returning_user_is_remembered_by_a_new_process(table: str) -> None:
    first_visit = DynamoStore(table)
    assert first_visit.get_attributes(envelope()).get("heard_welcome") is not True
    first_visit.save_attributes(envelope(), {"heard_welcome": True})

    later = DynamoStore(table)  # e.g. another Lambda container
    assert later.get_attributes(envelope()) == {"heard_welcome": True}


def test_dynamo_items_hold_only_hashed_keys_and_preferences(
    aws: DynaliteServer, table: str
) -> None:
    store = DynamoStore(table)
    store.save_attributes(
        envelope(),
        {"heard_welcome": True, "voice": "normal", "symptom": SENSITIVE, "userId": USER_ID},
    )
    store.save_attributes(envelope(OTHER_USER_ID), {"voice": "whisper", "note": SENSITIVE})

    items = scan(aws, table)
    assert len(items) == 2
    expected_ids = {hashlib.sha256(u.encode()).hexdigest() for u in (USER_ID, OTHER_USER_ID)}
    assert {item["id"]["S"] for item in items} == expected_ids
    for item in items:
        dumped = json.dumps(item)
        assert USER_ID not in dumped
        assert OTHER_USER_ID not in dumped
        assert SENSITIVE not in dumped
        assert set(item) == {"id", "attributes", TTL_ATTRIBUTE}
        assert set(item["attributes"]["M"]) <= PREFERENCE_KEYS


def test_dynamo_item_has_a_top_level_ttl(aws: DynaliteServer, table: str) -> None:
    DynamoStore(table, ttl_days=400).save_attributes(envelope(), {"voice": "whisper"})
    (item,) = scan(aws, table)
    expires_at = int(item[TTL_ATTRIBUTE]["N"])  # a Number attribute, as TTL requires
    assert abs(expires_at - (time.time() + 400 * 86400)) < 120


def test_dynamo_numbers_come_back_as_bools(aws: DynaliteServer, table: str) -> None:
    """An item written by other code with numbers (Decimal on read) loads as clean types."""
    aws.client().put_item(
        TableName=table,
        Item={
            "id": {"S": user_key(envelope())},
            "attributes": {
                "M": {
                    "heard_welcome": {"N": "1"},
                    "voice": {"S": "Whisper"},
                    "pain_score": {"N": "7.5"},
                }
            },
        },
    )
    loaded = DynamoStore(table).get_attributes(envelope())
    assert loaded == {"heard_welcome": True, "voice": "whisper"}
    assert type(loaded["heard_welcome"]) is bool


def test_dynamo_save_with_floats_and_decimals_does_not_break(
    aws: DynaliteServer, table: str
) -> None:
    """boto3 refuses Python floats; sanitise turns 1.0 into True and drops the rest."""
    store = DynamoStore(table)
    store.save_attributes(
        envelope(), {"heard_welcome": 1.0, "voice": "normal", "pain": 7.5, "d": Decimal("2.5")}
    )
    assert store.get_attributes(envelope()) == {"heard_welcome": True, "voice": "normal"}
    (item,) = scan(aws, table)
    assert item["attributes"]["M"]["heard_welcome"] == {"BOOL": True}


def test_dynamo_delete(table: str) -> None:
    store = DynamoStore(table)
    store.save_attributes(envelope(), {"voice": "whisper"})
    store.delete_attributes(envelope())
    assert store.get_attributes(envelope()) == {}


def test_dynamo_missing_table_is_a_persistence_error(aws: DynaliteServer) -> None:
    store = DynamoStore("no-such-table")
    with pytest.raises(PersistenceError):
        store.get_attributes(envelope())
    with pytest.raises(PersistenceError):
        store.save_attributes(envelope(), {"voice": "whisper"})


def test_explicit_region(table: str) -> None:
    store = DynamoStore(table, region_name="eu-west-1")
    store.save_attributes(envelope(), {"voice": "whisper"})
    assert store.region_name == "eu-west-1"


def _timed_failure(store: DynamoStore) -> tuple[float, PersistenceError]:
    # Import boto3 and the SDK adapter first (a cold process pays ~0.3 s once for that), so
    # that what is timed is the failure itself: timeouts, attempts and backoff.
    importlib.import_module("ask_sdk_dynamodb.adapter")
    start = time.monotonic()
    with pytest.raises(PersistenceError) as caught:
        store.get_attributes(envelope())
    return time.monotonic() - start, caught.value


def test_store_down_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    with closed_port() as port:
        _isolate_aws(monkeypatch, {"AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{port}"})
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        store = DynamoStore("prefs")
        elapsed, error = _timed_failure(store)
        assert elapsed < FAILURE_BUDGET_S
        assert error.__cause__ is not None  # the cause is kept for the logs
        with pytest.raises(PersistenceError):
            store.save_attributes(envelope(), {"voice": "whisper"})


@pytest.mark.parametrize("attempts", [1, 2])
def test_store_hanging_fails_within_the_budget(
    monkeypatch: pytest.MonkeyPatch, attempts: int
) -> None:
    with hanging_server() as server:
        _isolate_aws(monkeypatch, {"AWS_ENDPOINT_URL_DYNAMODB": server.endpoint})
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        store = DynamoStore("prefs", read_timeout=0.4, max_attempts=attempts)
        elapsed, _ = _timed_failure(store)
        # max_attempts counts every attempt, the first one included: one connection each.
        assert server.connections == attempts
        assert attempts * 0.4 <= elapsed < FAILURE_BUDGET_S
        assert elapsed < attempts * 0.4 + 0.5  # no long (jittered, 1 s) backoff in between


def test_dynamo_store_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        DynamoStore("t", max_attempts=0)
    with pytest.raises(ValueError, match="timeouts"):
        DynamoStore("t", read_timeout=0)
    with pytest.raises(ValueError, match="table_name"):
        DynamoStore("")


# --------------------------------------------------------------------------------------------
# Lazy boto3 and region handling, in fresh interpreters


def _run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in AWS_ENV_TO_CLEAR}
    base.update(env)
    base["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=base,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_importing_the_module_does_not_import_boto3() -> None:
    result = _run_python(
        """
        import sys
        import skill.persistence
        from skill.persistence import DynamoStore, build_store
        from skill.settings import Settings
        store = build_store(Settings(table_name="prefs"))
        assert isinstance(store, DynamoStore)
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"boto3", "botocore",
                        "ask_sdk_dynamodb"})
        assert not loaded, loaded
        print("ok")
        """,
        {},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


_USE_WITHOUT_REGION = """
    import os, sys
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        assert name not in os.environ, name
    import skill.persistence as p   # imported with no region configured anywhere
    {set_region}
    envelope = {{"context": {{"System": {{"user": {{"userId": "amzn1.ask.account.X"}}}}}}}}
    store = p.DynamoStore(sys.argv[1] if len(sys.argv) > 1 else "{table}")
    store.save_attributes(envelope, {{"voice": "whisper"}})
    assert store.get_attributes(envelope) == {{"voice": "whisper"}}
    print(store.region_name, os.environ.get("AWS_DEFAULT_REGION"))
"""


def test_no_region_at_import_then_a_region_at_use(dynalite: DynaliteServer) -> None:
    table = create_table(dynalite)
    env = dynalite.env(region=None)
    code = _USE_WITHOUT_REGION.format(
        table=table, set_region='os.environ["AWS_DEFAULT_REGION"] = "eu-west-2"'
    )
    result = _run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["eu-west-2", "eu-west-2"]


def test_no_region_at_all_defaults_to_us_east_1(dynalite: DynaliteServer) -> None:
    table = create_table(dynalite)
    code = _USE_WITHOUT_REGION.format(table=table, set_region="")
    result = _run_python(code, dynalite.env(region=None))
    assert result.returncode == 0, result.stderr
    # us-east-1 is used, and the process environment is left as it was found
    assert result.stdout.split() == ["us-east-1", "None"]


def test_aws_region_alone_is_honoured(dynalite: DynaliteServer) -> None:
    table = create_table(dynalite)
    code = _USE_WITHOUT_REGION.format(
        table=table, set_region='os.environ["AWS_REGION"] = "ap-southeast-2"'
    )
    result = _run_python(code, dynalite.env(region=None))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ap-southeast-2", "None"]


# --------------------------------------------------------------------------------------------
# build_store


def test_build_store_picks_dynamodb_only_with_a_table(tmp_path: Path) -> None:
    dynamo = build_store(Settings(table_name="prefs", store_path=tmp_path / "p.json"))
    assert isinstance(dynamo, DynamoStore)
    assert dynamo.table_name == "prefs"
    local = build_store(Settings(table_name=None, store_path=tmp_path / "p.json"))
    assert isinstance(local, FileStore)
    assert local.path == tmp_path / "p.json"


# --------------------------------------------------------------------------------------------
# FileStore


def test_file_store_round_trip_and_returning_user(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state" / "preferences.json"
    store = FileStore(path)
    assert store.get_attributes(envelope()) == {}  # no file yet
    store.save_attributes(envelope(), {"heard_welcome": True, "voice": "whisper", "x": 1})
    assert path.exists()
    assert FileStore(path).get_attributes(envelope()) == {"heard_welcome": True, "voice": "whisper"}
    assert store.get_attributes(envelope(OTHER_USER_ID)) == {}

    data = json.loads(path.read_text())
    key = user_key(envelope())
    assert set(data) == {key}
    assert set(data[key]) == {"heard_welcome", "voice", "updated"}
    assert USER_ID not in path.read_text()
    assert path.stat().st_mode & 0o077 == 0  # not readable by other users
    assert [p.name for p in path.parent.iterdir()] == ["preferences.json"]  # no temp files

    store.delete_attributes(envelope())
    assert store.get_attributes(envelope()) == {}


def test_file_store_never_writes_what_the_user_said(tmp_path: Path) -> None:
    path = tmp_path / "preferences.json"
    FileStore(path).save_attributes(envelope(), {"symptom": SENSITIVE, "voice": "normal"})
    assert SENSITIVE not in path.read_text()


@pytest.mark.parametrize(
    "contents", [b"{not json", b"[1, 2, 3]", b"\xff\xfe\x00garbage", b"", b'{"k": "v"}']
)
def test_file_store_corrupt_file_reads_as_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, contents: bytes
) -> None:
    path = tmp_path / "preferences.json"
    path.write_bytes(contents)
    store = FileStore(path)
    with caplog.at_level(logging.WARNING, logger="skill.persistence"):
        assert store.get_attributes(envelope()) == {}
    if contents != b'{"k": "v"}':  # valid JSON with a junk record is not "corrupt"
        assert "preference file" in caplog.text.lower()
    assert USER_ID not in caplog.text
    # the next save repairs the file
    store.save_attributes(envelope(), {"voice": "whisper"})
    assert store.get_attributes(envelope()) == {"voice": "whisper"}


def test_file_store_unreadable_path_reads_as_empty_and_write_raises(tmp_path: Path) -> None:
    path = tmp_path / "preferences.json"
    path.mkdir()  # a directory where the file should be
    store = FileStore(path)
    assert store.get_attributes(envelope()) == {}
    with pytest.raises(PersistenceError):
        store.save_attributes(envelope(), {"voice": "whisper"})


def test_file_store_write_failure_raises_persistence_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file, so no directory can be made here")
    store = FileStore(blocker / "preferences.json")
    with pytest.raises(PersistenceError) as caught:
        store.save_attributes(envelope(), {"voice": "whisper"})
    assert isinstance(caught.value.__cause__, OSError)


def test_file_store_concurrent_writes(tmp_path: Path) -> None:
    path = tmp_path / "preferences.json"
    store = FileStore(path)
    users = [f"amzn1.ask.account.USER{i:03d}" for i in range(24)]
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def work(user_id: str, index: int) -> None:
        try:
            barrier.wait()
            for round_ in range(5):
                voice = "whisper" if (index + round_) % 2 else "normal"
                store.save_attributes(envelope(user_id), {"heard_welcome": True, "voice": voice})
                store.get_attributes(envelope(user_id))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(u, i)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    data = json.loads(path.read_text())  # still valid JSON, nothing lost
    assert len(data) == len(users)
    for index, user_id in enumerate(users):
        expected = "whisper" if (index + 4) % 2 else "normal"
        assert store.get_attributes(envelope(user_id)) == {
            "heard_welcome": True,
            "voice": expected,
        }
    assert [p.name for p in tmp_path.iterdir()] == ["preferences.json"]


def test_each_checkout_keeps_its_own_store() -> None:
    """A fresh clone greets a new user: its store is inside the checkout, not in $HOME."""
    from skill.settings import CHECKOUT_STORE, PROJECT_DIR

    settings = Settings.from_env({})
    assert settings.store_path == CHECKOUT_STORE
    assert PROJECT_DIR in CHECKOUT_STORE.parents
    ignored = (PROJECT_DIR / ".gitignore").read_text(encoding="utf-8").split()
    assert f"{CHECKOUT_STORE.parent.name}/" in ignored
    in_lambda = Settings.from_env({"AWS_LAMBDA_FUNCTION_NAME": "f"})
    assert str(in_lambda.store_path).startswith("/tmp/")
