"""Test helpers: a real DynamoDB-API server (dynalite) and servers that misbehave.

- :func:`running_dynalite` starts ``node_modules/.bin/dynalite`` on a free loopback port,
  waits until it answers, and stops it (the whole process group) on exit.
- :func:`create_table` makes a preference table shaped like the one in ``template.yaml``.
- :func:`hanging_server` is a loopback TCP server that accepts connections and never answers
  (it counts them, so a test can see how many attempts a client made).
- :func:`closed_port` is a loopback port with nothing listening (connections are refused).

Use them from fixtures, e.g.::

    @pytest.fixture(scope="session")
    def dynalite() -> Iterator[DynaliteServer]:
        with running_dynalite() as server:
            yield server
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DYNALITE_BIN = REPO_ROOT / "node_modules" / ".bin" / "dynalite"
LOOPBACK = "127.0.0.1"
REGION = "us-east-1"


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((LOOPBACK, port)) == 0


def aws_env(endpoint: str, region: str | None = REGION) -> dict[str, str]:
    """Environment for boto3 against a local endpoint, isolated from the host's AWS setup."""
    env = {
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": "testing-not-a-real-key",
        "AWS_SECRET_ACCESS_KEY": "testing-not-a-real-secret",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if region is not None:
        env["AWS_DEFAULT_REGION"] = region
    return env


#: Variables that would let the host's AWS setup leak into a test.
AWS_ENV_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@dataclass
class DynaliteServer:
    """A running dynalite process."""

    port: int
    process: subprocess.Popen[bytes]
    tables: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def env(self, region: str | None = REGION) -> dict[str, str]:
        return aws_env(self.endpoint, region)

    def client(self) -> Any:
        """A low-level boto3 DynamoDB client for this server (for setup and inspection)."""
        import boto3

        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing-not-a-real-key",
            aws_secret_access_key="testing-not-a-real-secret",
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # its own group: started with a new session
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def running_dynalite(startup_timeout: float = 20.0) -> Iterator[DynaliteServer]:
    """Run dynalite (in memory) on a free loopback port for the duration of the block.

    Skips the calling test only when ``node`` itself is not installed; a missing
    ``node_modules`` or a server that does not come up is an error (run ``npm ci``).
    """
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the DynamoDB tests need it to run dynalite")
    if not DYNALITE_BIN.exists():
        raise RuntimeError(f"{DYNALITE_BIN} is missing: run `npm ci` in {REPO_ROOT}")
    last_error = "did not start"
    for _ in range(3):  # another process may grab the port between free_port() and listen
        port = free_port()
        log_file = tempfile.TemporaryFile()  # noqa: SIM115  (closed in the finally below)
        process = subprocess.Popen(
            [
                str(DYNALITE_BIN),
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--createTableMs",
                "0",
                "--deleteTableMs",
                "0",
            ],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + startup_timeout
            while time.monotonic() < deadline and process.poll() is None:
                if _port_open(port):
                    break
                time.sleep(0.05)
            if process.poll() is None and _port_open(port):
                server = DynaliteServer(port=port, process=process)
                _wait_until_answering(server, deadline)
                yield server
                return
            _stop(process)
            log_file.seek(0)
            output = log_file.read().decode("utf-8", "replace").strip()
            last_error = output[-2000:] or f"exit code {process.returncode}"
        finally:
            _stop(process)
            log_file.close()
    raise RuntimeError(f"dynalite did not start: {last_error}")


def _wait_until_answering(server: DynaliteServer, deadline: float) -> None:
    client = server.client()
    while True:
        try:
            client.list_tables()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def create_table(server: DynaliteServer, name: str | None = None) -> str:
    """Create a preference table (partition key ``id``, string) and wait until it is active."""
    table = name or f"prefs-{uuid.uuid4().hex[:12]}"
    client = server.client()
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(
        TableName=table, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
    )
    server.tables.append(table)
    return table


@dataclass
class HangingServer:
    """A loopback TCP server that accepts connections and never answers."""

    port: int
    accepted: list[socket.socket] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def connections(self) -> int:
        """How many connections it has accepted (one per client attempt)."""
        return len(self.accepted)


@contextlib.contextmanager
def hanging_server() -> Iterator[HangingServer]:
    """A loopback TCP server that accepts every connection and never sends a byte.

    Accepted sockets are held open (not read from, not answered) until the block ends, so a
    client's only way out is its own read timeout.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((LOOPBACK, 0))
    listener.listen(16)
    listener.settimeout(0.05)
    server = HangingServer(port=listener.getsockname()[1])
    stop = threading.Event()

    def accept_forever() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server.accepted.append(conn)

    thread = threading.Thread(target=accept_forever, name="hanging-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in server.accepted:
            conn.close()
        listener.close()


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port with nothing listening: connecting is refused at once."""
    port = free_port()
    if _port_open(port):  # pragma: no cover - someone took it in between
        pytest.fail(f"port {port} was expected to be closed")
    yield port
