"""Shared fixtures: an isolated environment, a real SeaweedFS S3 server, MSC config files."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.azurite import CONTAINER, SHARED, azurite_executable, write_self_signed_cert

from msc_notebook import clear_client_cache
from msc_notebook.demo.azurite import Azurite
from msc_notebook.demo.seaweedfs import SeaweedFS
from msc_notebook.testing import freeze_clock

BUCKET = "msc-test-bucket"
# A second identity on the test server that may read and list but not write.
READER_ACCESS_KEY = "MSCNBREADER0001"
READER_SECRET_KEY = "reader-secret-" + "r" * 26
READER_IDENTITY = {
    "name": "reader",
    "credentials": [{"accessKey": READER_ACCESS_KEY, "secretKey": READER_SECRET_KEY}],
    "actions": ["Read", "List"],
}
# Credentials from the test STS live this long: enough to sign (botocore runs a
# credential_process at least twice per signing, 0.7-3 s each) and use a URL first.
STS_TOKEN_SECONDS = 6


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point HOME, the AWS files and config discovery into ``home``; no AWS_*/AZURE_*/MSC_* variables, no IMDS."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "AZURE_", "MSC_", "XDG_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(home / "no-xdg-dirs"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the developer's ~/.msc_config.yaml, ~/.aws or AWS_* variables, or IMDS."""
    home = tmp_path_factory.mktemp("home")
    isolate(monkeypatch, home)
    clear_client_cache()
    yield home
    clear_client_cache()


def disposable(server: SeaweedFS) -> SeaweedFS:
    """A server whose data ends with the session: stopped with SIGKILL, not weed's clean 2 s shutdown."""
    server.stop_signal = signal.SIGKILL
    return server


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """One real S3 server for the session, with a bucket for the tests (and a read-only identity)."""
    with disposable(SeaweedFS(tmp_path_factory.mktemp("seaweedfs"), extra_identities=[READER_IDENTITY])) as server:
        server.client().create_bucket(Bucket=BUCKET)
        yield server


@pytest.fixture(scope="session")
def sts_seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A second real S3 server whose STS issues credentials that live STS_TOKEN_SECONDS."""
    with disposable(SeaweedFS(tmp_path_factory.mktemp("seaweedfs-sts"), sts_token_seconds=STS_TOKEN_SECONDS)) as server:
        server.client().create_bucket(Bucket=BUCKET)
        yield server


@pytest.fixture
def s3(seaweedfs: SeaweedFS):
    """An admin boto3 client for putting and checking objects."""
    return seaweedfs.client()


def seaweed_profile(server: SeaweedFS, *, base_path: str = BUCKET, **credentials) -> dict:
    """An MSC profile for the SeaweedFS server, with its static keys unless overridden."""
    options = {"access_key": server.access_key, "secret_key": server.secret_key, **credentials}
    return {
        "storage_provider": {
            "type": "s3",
            "options": {"base_path": base_path, "endpoint_url": server.endpoint_url, "region_name": "us-east-1"},
        },
        "credentials_provider": {"type": "S3Credentials", "options": options},
    }


def write_credential_process(home: Path, body: str, *, profile: str) -> Path:
    """``body`` (Python, dedented) as the credential_process of AWS profile ``profile`` in ``home``'s
    ~/.aws/config; returns the script."""
    script = home / f"{profile}_creds.py"
    script.write_text(textwrap.dedent(body))
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "config").write_text(
        f"[profile {profile}]\nregion = us-east-1\ncredential_process = {sys.executable} {script}\n"
    )
    return script


@pytest.fixture
def write_config(isolated_env: Path, monkeypatch: pytest.MonkeyPatch):
    """Write ``{"profiles": ...}`` as YAML and point $MSC_CONFIG at it."""

    def write(profiles: dict, **top_level) -> Path:
        path = isolated_env / "msc_config.yaml"
        path.write_text(yaml.safe_dump({"profiles": profiles, **top_level}, sort_keys=False))
        monkeypatch.setenv("MSC_CONFIG", str(path))
        return path

    return write


@pytest.fixture
def demo_profile(seaweedfs: SeaweedFS, write_config) -> str:
    """A config with profile 'demo' on SeaweedFS; returns the profile name."""
    write_config({"demo": seaweed_profile(seaweedfs)})
    return "demo"


@pytest.fixture(scope="session")
def rsa_private_key():
    """One RSA-2048 key for the session, as a CloudFront key pair would have."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_bytes(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


@pytest.fixture(scope="session")
def cloudfront_key_file(rsa_private_key, tmp_path_factory) -> Path:
    """The session key as a PEM file, shared and never changed (a test that rotates a key writes its own):
    the signer's key cache keeps it parsed, as it would in a long session."""
    path = tmp_path_factory.mktemp("cloudfront") / "cloudfront.pem"
    path.write_bytes(pem_bytes(rsa_private_key))
    return path


@pytest.fixture(scope="session")
def ipython_shell():
    """The one test InteractiveShell of the session (IPython allows a single global one)."""
    from IPython.terminal.interactiveshell import TerminalInteractiveShell
    from IPython.testing.globalipapp import start_ipython

    start_ipython()  # a no-op returning None after the first call; the instance is the shell
    return TerminalInteractiveShell.instance()


@pytest.fixture
def ip(ipython_shell):
    """The test shell with the extension loaded and an empty %presign_history; unloaded after."""
    from msc_notebook.frontends.notebook._history import history

    ipython_shell.run_line_magic("load_ext", "msc_notebook")
    history.clear()
    yield ipython_shell
    ipython_shell.run_line_magic("unload_ext", "msc_notebook")


def run_cell(shell, cell: str):
    """Run ``cell`` as a kernel would (a new execution count): its ExecutionResult and captured output."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(cell, store_history=True)
    return result, captured


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI (CI=true) a skipped test fails the run: a skip there means a missing install step.

    By hand, a missing optional tool (Chromium, npm packages, Azurite) just skips, with its reason.
    """
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI", "").lower() == "true" and skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; under CI every test must run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Any], None]]:
    """``clock(when)`` freezes every signing clock at ``when`` (msc_notebook.testing.freeze_clock) for the
    rest of the test. It depends on monkeypatch so that it is undone before monkeypatch's own undoing."""
    with contextlib.ExitStack() as stack:
        yield lambda when: stack.enter_context(freeze_clock(when))


# Azurite (the Azure tests' server): plain HTTP with the account key, and HTTPS with OAuth.


@pytest.fixture(scope="session")
def azurite(tmp_path_factory) -> Iterator[Azurite]:
    with Azurite(tmp_path_factory.mktemp("azurite"), executable=azurite_executable()) as server:
        server.service_client().create_container(CONTAINER)
        yield server


@pytest.fixture(scope="session")
def azurite_oauth(tmp_path_factory) -> Iterator[Azurite]:
    directory = tmp_path_factory.mktemp("azurite-oauth")
    cert, key = write_self_signed_cert(directory)
    with Azurite(directory, executable=azurite_executable(), cert=cert, key=key, oauth=True) as server:
        server.service_client().create_container(CONTAINER)
        yield server


@pytest.fixture(scope="session")
def shared_dataset(azurite, tmp_path_factory):
    from support.recipient import build_zarr_dataset

    local = tmp_path_factory.mktemp("azure-dataset") / "ocean.zarr"
    arrays = build_zarr_dataset(local)
    container = azurite.service_client().get_container_client(CONTAINER)
    files = {path.relative_to(local).as_posix(): path.read_bytes() for path in local.rglob("*") if path.is_file()}
    for relative, body in files.items():
        container.upload_blob(f"{SHARED}/{relative}", body, overwrite=True)
    container.upload_blob("datasets/outside.bin", b"not shared", overwrite=True)
    return arrays, files
