"""Real JupyterLab / Notebook 7 servers and headless Chromium for the widget tests.

Facts from tests/README.md: Debian's /usr/bin/chromium driven by Playwright, servers on
127.0.0.1 with a fixed token and isolated config/runtime dirs, and one wait that matters:
the notebook's kernel connected and idle, read through window.jupyterapp.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from msc_notebook.demo.seaweedfs import free_ports

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip

APPS = {
    # app name -> (jupyter subcommand, app class for traits, URL path of a notebook)
    # A fresh workspace per page, so Lab does not reopen (and run) the previous test's notebook.
    "lab": ("lab", "LabApp", "lab/workspaces/{workspace}/tree/{name}"),
    "notebook7": ("notebook", "JupyterNotebookApp", "notebooks/{name}"),
}

KERNEL_READY_JS = """() => {
  const app = window.jupyterapp;
  const widget = app && app.shell && app.shell.currentWidget;
  const context = widget && widget.sessionContext;
  const kernel = context && context.session && context.session.kernel;
  return !!(context && context.isReady && kernel && kernel.connectionStatus === 'connected'
            && kernel.status === 'idle');
}"""


class JupyterServer:
    def __init__(self, app: str, root: Path, env: dict[str, str]):
        self.app, self.root, self.env = app, root, env
        self.token = secrets.token_hex(16)
        self.port = free_ports(1)[0]
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, name: str) -> str:
        path = APPS[self.app][2].format(name=name, workspace=secrets.token_hex(4))
        return f"{self.base}/{path}?token={self.token}"

    def start(self) -> JupyterServer:
        command, app_class, _ = APPS[self.app]
        args = [
            sys.executable, "-m", "jupyter", command, "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
            f"--IdentityProvider.token={self.token}", "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.open_browser=False",
            f"--{app_class}.expose_app_in_browser=True",
        ]  # fmt: skip
        if self.app == "lab":
            args += ["--LabApp.news_url=None",
                     "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate"]  # fmt: skip
        log = open(self.root / f"{self.app}-server.log", "wb")
        self.process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter {command} exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"jupyter {command} did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        return "\n".join((self.root / f"{self.app}-server.log").read_text(errors="replace").splitlines()[-20:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def server_env(home: Path, msc_config: Path) -> dict[str, str]:
    """The server's (and so the kernel's) environment: isolated dirs, the test MSC config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MSC_", "JUPYTER", "XDG_"))}
    for name in ("config", "data", "runtime"):
        (home / f"jupyter-{name}").mkdir(parents=True, exist_ok=True)
    # No "get notified about Jupyter news?" toast over the page.
    notification = home / "lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True, exist_ok=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env.update(
        HOME=str(home),
        MSC_CONFIG=str(msc_config),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "lab-settings"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
    )
    return env


def write_notebook(path: Path, cells: list[str]) -> Path:
    notebook = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c} for c in cells],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook))
    return path


@contextmanager
def chromium_page(**context_options):
    """A fresh headless Chromium page; page errors are collected, not fatal (Notebook 7 logs one)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/install does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(**context_options)
            page = context.new_page()
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            yield page
        finally:
            browser.close()


def open_and_run_all(page, server: JupyterServer, name: str, timeout_ms: int = 90_000) -> None:
    """Open a notebook, wait for its kernel for real, and run every cell."""
    page.goto(server.notebook_url(name), wait_until="domcontentloaded")
    page.wait_for_function(KERNEL_READY_JS, timeout=timeout_ms, polling=250)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


SCREENSHOTS = Path(__file__).resolve().parents[2] / "notebooks" / "screenshots"


def screenshot(element, name: str, tmp_path: Path) -> None:
    """Every run renders the screenshot; the README's copy is replaced only when asked
    (UPDATE_README_SCREENSHOTS=1), so a test run leaves the tree clean."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_README_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    element.screenshot(path=str(folder / name))
