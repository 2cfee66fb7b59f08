"""JupyterLab for the demo, as a newcomer should meet it.

* It opens on the quickstart with a token the demo chooses, so the URL the demo prints works.
* Its log goes to a file in the demo's directory, not over the demo's own messages.
* Its settings, workspaces, runtime files and notebook signatures, and its kernels' IPython
  history, live in the demo's directory too.
* No "Would you like to get notified about official Jupyter news?" prompt over the notebook
  (``python -m msc_notebook.demo.jupyterlab`` does the same for the user's own Lab: Binder).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import urllib.request
from pathlib import Path

from .local_server import LocalServer

READY_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0
FIRST_NOTEBOOK = "quickstart.ipynb"
# Lab asks about news while this setting is "none" (its default); "false" is "Never".
QUIET_SETTINGS = {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}}


class JupyterLabError(RuntimeError):
    """JupyterLab did not start; the message carries the end of its log."""


def write_quiet_settings(settings_dir: Path) -> None:
    """Lab user settings without the news prompt; a settings file the user already has is kept."""
    for plugin, values in QUIET_SETTINGS.items():
        path = Path(settings_dir) / f"{plugin}.jupyterlab-settings"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2) + "\n")


class DemoLab(LocalServer):
    """JupyterLab on a copy of ``notebooks`` in ``directory``, on 127.0.0.1:``port``, until stopped."""

    name = "JupyterLab"
    error = JupyterLabError
    ready_timeout = READY_TIMEOUT
    stop_timeout = STOP_TIMEOUT
    log_name = "jupyterlab.log"

    def __init__(self, directory: Path, port: int, notebooks: Path) -> None:
        super().__init__(directory, port)
        self.notebooks = notebooks
        self.token = secrets.token_hex(24)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{FIRST_NOTEBOOK}?token={self.token}"

    def start(self) -> DemoLab:
        work = self.directory / "notebooks"  # a copy, so the repository's notebooks stay clean
        shutil.copytree(self.notebooks, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns("screenshots"))
        lab_dir = self.directory / "jupyterlab"
        write_quiet_settings(lab_dir / "user-settings")
        (lab_dir / "notary").mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
            f"--ServerApp.root_dir={work}", f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}",
            f"--LabApp.user_settings_dir={lab_dir / 'user-settings'}",
            f"--LabApp.workspaces_dir={lab_dir / 'workspaces'}", f"--NotebookNotary.data_dir={lab_dir / 'notary'}",
            "--LabApp.news_url=None", "--LanguageServerManager.autodetect=False",  # no `npm` runs looking for servers
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        ]  # fmt: skip
        if os.geteuid() == 0:
            command.append("--allow-root")
        # The token goes by environment, not argv, so other users cannot read it in `ps`.
        env = {**os.environ, "JUPYTER_TOKEN": self.token, "JUPYTER_RUNTIME_DIR": str(lab_dir / "runtime"),
               "IPYTHONDIR": str(lab_dir / "ipython")}  # fmt: skip
        status = f"http://127.0.0.1:{self.port}/api/status?token={self.token}"
        self.launch(command, lambda: urllib.request.urlopen(status, timeout=2).close(), cwd=work, env=env)
        return self

    def wait(self) -> int:
        """Until Lab ends: its exit code."""
        if self.process is None:
            raise JupyterLabError("JupyterLab was not started (or was stopped)")
        return self.process.wait()


def _user_settings_dir() -> Path:
    from jupyterlab.commands import get_user_settings_dir  # honours $JUPYTERLAB_SETTINGS_DIR

    return Path(get_user_settings_dir())


if __name__ == "__main__":
    # For a Lab the demo does not start (Binder's): quiet settings in the user's settings dir.
    write_quiet_settings(Path(sys.argv[1]) if len(sys.argv) > 1 else _user_settings_dir())
