"""README's two commands stay true: the test command is what CI runs, and the demo works."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    section = ROOT.joinpath("README.md").read_text().split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_gives_exactly_two_commands_and_ci_runs_the_test_one():
    demo, tests = _readme_commands()
    assert "msc-notebook demo" in demo
    ci_lines = [line for line in ROOT.joinpath(".ci/run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci_lines[-1] == tests


def test_demo_command_signs_urls_a_real_server_accepts(tmp_path):
    weed_dir = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "msc_notebook.cli", "demo", "--check", "--dir", str(weed_dir)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Checked: the GET URL returned b'Hello from msc_notebook!" in result.stdout
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in result.stdout
    config = (weed_dir / "msc_config.yaml").read_text()
    secret = re.search(r"secret_key: (\S+)", config).group(1)
    assert secret not in result.stdout and secret not in result.stderr  # the demo prints no secret
    # Stopped: the port it used no longer answers.
    port = re.search(r"S3 endpoint http://127.0.0.1:(\d+)", result.stdout).group(1)
    import socket

    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(port))) != 0
