"""The package's annotations are checked: mypy over msc_notebook/ with pyproject's settings,
no errors; and the package says it is typed (py.typed), so users' checkers read them too."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import msc_notebook

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_FLAGS = ("disallow_untyped_defs", "disallow_incomplete_defs", "warn_return_any", "no_implicit_optional")


def test_package_is_marked_typed_and_mypy_is_strict():
    assert (Path(msc_notebook.__file__).parent / "py.typed").is_file()
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert settings["files"] == ["msc_notebook"]
    assert {flag: settings.get(flag) for flag in REQUIRED_FLAGS} == dict.fromkeys(REQUIRED_FLAGS, True)


@pytest.mark.e2e  # slow: a full check of the package, with a cold cache (about 10 s on two cores)
def test_mypy_finds_no_errors(tmp_path: Path):
    # The cache goes to tmp_path: a run must leave the working tree as it found it.
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"mypy found errors:\n{done.stdout}{done.stderr}"
