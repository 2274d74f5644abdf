"""Fixtures: a real `strongbox server` on a free 127.0.0.1 port with a fresh data directory.

The binary comes from $STRONGBOX_BIN (default: target/debug/strongbox at the repository root).
"""

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
ROOT_USER = "strongbox-py-root"
ROOT_PASSWORD = "py-e2e-secret-Passw0rd"
REGION = "us-east-1"
START_TIMEOUT = 20.0


def strongbox_bin() -> Path:
    path = Path(os.environ.get("STRONGBOX_BIN", REPO_ROOT / "target" / "debug" / "strongbox"))
    if not path.is_file():
        pytest.fail(f"strongbox binary not found at {path}: build it first (cargo build) or set STRONGBOX_BIN")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`strongbox server` on a free 127.0.0.1 port with a fresh data dir; healthy once it answers.

    `env` adds variables (MINIO_*/AWS_* of the caller's environment are dropped first). With
    `certs_dir` it serves HTTPS, and the health check trusts `ca_file`. A data dir already under
    `root` is reused (a restart); `log_name` keeps each run's log apart.
    """

    def __init__(self, root: Path, env: dict | None = None, certs_dir: Path | None = None,
                 ca_file: Path | None = None, log_name: str = "server.log"):
        self.root = root
        self.data_dir = root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = root / log_name
        self.port = free_port()
        self.ca_file = ca_file
        scheme = "https" if certs_dir is not None else "http"
        self.endpoint = f"{scheme}://127.0.0.1:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "AWS_"))}
        full_env["MINIO_ROOT_USER"] = ROOT_USER
        full_env["MINIO_ROOT_PASSWORD"] = ROOT_PASSWORD
        full_env.update(env or {})
        args = [str(strongbox_bin()), "server", "--address", f"127.0.0.1:{self.port}"]
        if certs_dir is not None:
            args += ["--certs-dir", str(certs_dir)]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            args + [str(self.data_dir)],
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_healthy(self):
        context = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"strongbox exited with {self.proc.returncode}\n--- log ---\n{self.log()}")
            try:
                url = f"{self.endpoint}/minio/health/live"
                with urllib.request.urlopen(url, timeout=2, context=context) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"strongbox not healthy within {START_TIMEOUT}s\n--- log ---\n{self.log()}")
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def boto3_client(self, **config):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ROOT_USER,
            aws_secret_access_key=ROOT_PASSWORD,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
        )


@pytest.fixture
def server(tmp_path, request):
    srv = Server(tmp_path / "srv")
    yield srv
    srv.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- strongbox log ---\n{srv.log()}")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so the server fixture can print the log on failure."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def s3(server):
    return server.boto3_client()


@pytest.fixture
def bucket(s3):
    name = f"py-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


class AwsCli:
    """The aws CLI from this Python environment, with its configuration isolated in a tmp dir."""

    def __init__(self, server: Server, home: Path):
        exe = Path(sys.executable).parent / "aws"
        if not exe.exists():
            found = shutil.which("aws")
            if found is None:
                pytest.fail("aws CLI not installed (pip install -r tests/python/requirements.txt)")
            exe = Path(found)
        self.exe = exe
        self.server = server
        home.mkdir(parents=True, exist_ok=True)
        config = home / "config"
        config.write_text("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n")
        credentials = home / "credentials"
        credentials.write_text("")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(
            AWS_ACCESS_KEY_ID=ROOT_USER,
            AWS_SECRET_ACCESS_KEY=ROOT_PASSWORD,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(config),
            AWS_SHARED_CREDENTIALS_FILE=str(credentials),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_PAGER="",
        )

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.exe), "--endpoint-url", self.server.endpoint, *args]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc


@pytest.fixture
def aws(server, tmp_path):
    return AwsCli(server, tmp_path / "awsconfig")
