"""The demo's Azure part: with Azurite installed, `demo-azure` signs URLs Azurite accepts and the
quickstart shows one; without it, the demo runs on and says how to add it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml
from support.azurite import azurite_executable
from support.http_client import fetch
from support.notebooks import execute, problems, text_of

import msc_notebook as msc
from msc_notebook.demo.azure_demo import AZURE_PROFILE, start_azure_demo
from msc_notebook.demo.environment import SAMPLE_OBJECTS, DemoEnvironment
from msc_notebook.frontends.terminal._cli import check_demo

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"


def test_without_azurite_the_demo_says_how_to_add_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    said: list[str] = []
    assert start_azure_demo(tmp_path, SAMPLE_OBJECTS, said.append) is None
    assert said == [
        "Azure: Azurite not found, so no Azure in this demo (to add a demo-azure profile, install Azurite "
        "(node >= 20) with: npm install -g azurite@3.37.0 and pip install 'msc-notebook[azure]')"
    ]


def test_without_the_azure_extra_the_demo_says_how_to_add_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.storage.blob", None)
    said: list[str] = []
    assert start_azure_demo(tmp_path, SAMPLE_OBJECTS, said.append) is None
    assert said[0].startswith("Azure: not in this demo (") and "msc-notebook[azure]" in said[0]


@pytest.mark.e2e
def test_demo_azure_profile_and_quickstart(tmp_path, monkeypatch, isolated_env):
    monkeypatch.setenv("PATH", f"{os.path.dirname(azurite_executable())}{os.pathsep}{os.environ['PATH']}")
    said: list[str] = []
    with DemoEnvironment.start(tmp_path / "demo", progress=said.append) as env:
        assert env.azurite is not None
        assert any(line.startswith("  blob endpoint http://127.0.0.1:") for line in said)
        profiles = yaml.safe_load(env.config_path.read_text())["profiles"]
        assert profiles[AZURE_PROFILE]["storage_provider"]["type"] == "azure"
        assert env.config_path.stat().st_mode & 0o077 == 0  # it holds the (published) account key
        for name, value in env.environ().items():
            monkeypatch.setenv(name, value)
        url = msc.generate_presigned_url(f"msc://{AZURE_PROFILE}/reports/quarterly report (final).txt")
        assert fetch(url).content == SAMPLE_OBJECTS["reports/quarterly report (final).txt"]
        assert check_demo(azure=True)
        notebook = execute(NOTEBOOK, {**os.environ, **env.environ()}, tmp_path)
        assert problems(notebook) == []
        assert "Azure says: Hello from msc_notebook!" in text_of(notebook)
        azurite = env.azurite
    assert azurite.process is None  # stopped with the demo
