"""Running ``msc-notebook``: the installed console script, or its ``main`` in this process."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
from pathlib import Path

from msc_notebook.frontends.terminal._cli import main

COMMAND = Path(sys.executable).with_name("msc-notebook")


def run_installed(*args: str) -> subprocess.CompletedProcess:
    """The installed ``msc-notebook`` console script, as a user runs it."""
    assert COMMAND.exists() or shutil.which("msc-notebook"), "the console script is installed with the package"
    return subprocess.run([str(COMMAND), *args], capture_output=True, text=True, timeout=120)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """``msc-notebook ARGS`` in this process: the console script's ``main``, its exit status
    (argparse's ``SystemExit`` included), stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as stop:
            status = stop.code
    return subprocess.CompletedProcess(["msc-notebook", *args], status, out.getvalue(), err.getvalue())
