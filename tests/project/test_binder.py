"""Binder: its requirements resolve for the Python it pins and install in a fresh venv, and its
start script brings the demo services up so that the quickstart executes, with no news prompt.
(repo2docker itself needs Docker, not here.)"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # slow: browser, Jupyter, notebooks, the demo, Binder or npm

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", line.strip(), maxsplit=1)[0].lower() for line in requirements if line.strip()}


def test_binder_requirements_match_the_project():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"] + project["optional-dependencies"]["demo"])
    assert _names(_requirements()) == wanted


def _binder_python() -> str:
    """The Python version binder/runtime.txt pins ("python-3.11" -> "3.11")."""
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    return runtime.removeprefix("python-")


def test_the_pinned_python_is_the_one_the_project_declares_and_readme_states():
    version = _binder_python()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={version}"
    assert f"Python {version}" in (ROOT / "README.md").read_text()


@pytest.mark.e2e
def test_binder_requirements_resolve_for_the_pinned_python(tmp_path):
    """What repo2docker's pip will do, for Binder's Python rather than this test run's own."""
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--python-version", _binder_python(),
         "--only-binary=:all:", "--target", str(tmp_path / "target"), "--report", str(report),
         "-r", str(BINDER / "requirements.txt")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    resolved = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert _names(_requirements()) <= resolved


def _requirements() -> list[str]:
    return [line for line in (BINDER / "requirements.txt").read_text().splitlines() if not line.startswith("#")]


@pytest.fixture(scope="module")
def binder_venv(tmp_path_factory):
    venv = tmp_path_factory.mktemp("binder") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "-r", str(BINDER / "requirements.txt")], check=True, timeout=900)
    subprocess.run(["bash", str(BINDER / "postBuild")], cwd=ROOT, check=True, timeout=300,
                   env={**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"})  # fmt: skip
    return venv


@pytest.mark.e2e
def test_start_script_brings_the_demo_up_and_the_quickstart_runs(binder_venv, tmp_path):
    check = textwrap.dedent(
        """
        import os, sys, nbformat
        from nbclient import NotebookClient
        nb = nbformat.read("notebooks/quickstart.ipynb", as_version=4)
        NotebookClient(nb, timeout=180, kernel_name="python3").execute()
        bad = [o for c in nb.cells for o in c.get("outputs", [])
               if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")]
        print("MSC_CONFIG=" + os.environ["MSC_CONFIG"])
        sys.exit(1 if bad else 0)
        """
    )
    env = {**os.environ, "PATH": f"{binder_venv / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "MSC_DEMO_DIR": str(tmp_path / "demo")}  # fmt: skip
    for name in ("MSC_CONFIG", "JUPYTER_CONFIG_DIR", "JUPYTERLAB_SETTINGS_DIR"):
        env.pop(name, None)
    process = subprocess.Popen(
        ["bash", str(BINDER / "start"), str(binder_venv / "bin" / "python"), "-c", check],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=300)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the demo services started in the background
        except ProcessLookupError:
            pass
    assert process.returncode == 0, output
    assert f"MSC_CONFIG={tmp_path / 'demo' / 'msc_config.yaml'}" in output
    # Lab asks "get notified about official Jupyter news?" while fetchNews is "none", its default.
    settings = tmp_path / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    assert json.loads(settings.read_text())["fetchNews"] == "false"
    ready = tmp_path / "demo" / "ready.env"
    log = tmp_path / "demo" / "demo.log"
    for _ in range(150):  # SIGTERM stops the demo as Ctrl-C does: it cleans up and says so
        if "Stopped; nothing is left listening." in log.read_text():
            break
        time.sleep(0.2)
    assert "Stopped; nothing is left listening." in log.read_text()
    assert not ready.exists()
