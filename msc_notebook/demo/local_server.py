"""What SeaweedFS, Azurite and the demo's JupyterLab have in common: a local server process.

Started in its own process group (so its children stop with it) with its output in a log
file, polled until it answers (within a deadline), stopped with a signal and killed if it
does not end in time. Nothing waits without a bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

Progress = Callable[[str], None]


class LocalServer:
    """Base of the demo's servers; a subclass sets the class attributes and calls `launch`.

    It works in ``directory`` (its data and its log, ``log_name``) and listens on ``port``
    (None until it is chosen).
    """

    name: str  # for messages: "SeaweedFS"
    log_name: str  # the log file in its directory: "weed.log"
    error: type[Exception] = RuntimeError
    ready_timeout: float = 60.0  # seconds from start until it must answer
    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout: float = 10.0

    process: subprocess.Popen[bytes] | None = None

    def __init__(self, directory: str | os.PathLike, port: int | None = None) -> None:
        self.directory = Path(directory)
        self.port = port

    @property
    def log_path(self) -> Path:
        return self.directory / self.log_name

    def launch(
        self,
        command: Sequence[str],
        answers: Callable[[], object],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Start ``command`` and wait until ``answers()`` returns without raising; stop it if it never does."""
        with open(self.log_path, "wb") as log:
            self.process = process = subprocess.Popen(
                list(command), cwd=cwd, env=None if env is None else dict(env), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_ready(process, answers)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, process: subprocess.Popen[bytes], answers: Callable[[], object]) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if process.poll() is not None:
                raise self.error(f"{self.name} exited with code {process.returncode}:\n{self.log_tail()}")
            try:
                answers()
                return
            except Exception:  # not up yet: connection refused, 503, ...
                if time.monotonic() > deadline:
                    raise self.error(
                        f"{self.name} did not answer within {self.ready_timeout:.0f} s:\n{self.log_tail()}"
                    ) from None
                time.sleep(0.2)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        self.stop_process()

    def stop_process(self, progress: Progress = lambda message: None) -> None:
        """``stop_signal`` to its process group, then SIGKILL after ``stop_timeout`` (said to ``progress``)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, self.stop_signal)
            process.wait(timeout=self.stop_timeout)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            progress(f"  {self.name} did not finish within {self.stop_timeout:.0f} s; stopping it hard")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
