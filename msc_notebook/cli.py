"""The ``msc-notebook`` command. ``msc-notebook demo`` runs the embedded demo: a local S3 server
with sample data, a CloudFront-style edge, an MSC config for them, and JupyterLab on the
quickstart notebook. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
READY_FILE = "ready.env"  # written when the services are up: the environment to use them


class DemoError(Exception):
    """Something the user can fix (a missing program, a busy port); said in one line."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msc-notebook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="start local S3 and CloudFront-style services with sample data and open JupyterLab",
        description="Start a local S3 server that checks signatures (SeaweedFS) and a local edge that "
        "enforces CloudFront signatures, put sample objects and a Zarr dataset in them, write an MSC "
        "config for them, and open JupyterLab on the quickstart notebook. No cloud account needed; "
        "nothing outside the demo's directory is written. Ctrl-C stops everything.",
    )
    demo.add_argument("--dir", type=Path, help="keep the demo's files here (default: a temporary directory, removed)")
    mode = demo.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="sign URLs, check that they work, then stop")
    mode.add_argument("--no-lab", action="store_true", help="run the services only, until stopped")
    demo.add_argument("--port", type=int, default=None, help="JupyterLab's port (default: a free one)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser tab for JupyterLab")
    args = parser.parse_args(argv)
    try:
        return run_demo(args)
    except DemoError as exc:
        _say(f"error: {exc}")
        return 1


def run_demo(args: argparse.Namespace) -> int:
    from .demo import seaweedfs
    from .demo.environment import DemoEnvironment
    from .demo.seaweedfs import SeaweedFSError

    try:
        seaweedfs.find_weed()  # fail early, with the install hint, before anything starts
    except SeaweedFSError as exc:
        raise DemoError(str(exc)) from None
    lab_port = None if args.check or args.no_lab else _lab_port(args.port)
    # SIGTERM (e.g. from Binder or `kill`) stops everything, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory(prefix="msc-notebook-demo-") as scratch:
        root = (args.dir or Path(scratch)).absolute()
        try:
            env = DemoEnvironment.start(root, progress=_say)
        except SeaweedFSError as exc:
            raise DemoError(str(exc)) from None
        ready = root / READY_FILE
        try:
            os.environ.update(env.environ())
            ok = check_demo(azure=env.azurite is not None)
            if args.check or not ok:
                return 0 if ok else 1
            ready.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.environ().items()))
            profiles = "demo, demo-sts, demo-cdn" + (", demo-azure" if env.azurite is not None else "")
            _say(f"\nMSC config: {env.config_path}  (profiles {profiles})")
            if args.no_lab:
                _say(f"Use it with:  export MSC_CONFIG={env.config_path} AWS_CONFIG_FILE={env.aws_config_path}")
                _say("Services running; Ctrl-C stops them.")
                _wait_for_interrupt()
            else:
                run_lab(root, lab_port, open_browser=not args.no_browser)
            return 0
        except KeyboardInterrupt:
            return 0
        finally:
            _say("Stopping the demo services ...")
            env.stop()
            ready.unlink(missing_ok=True)  # last: its absence means everything has stopped
            _say("Stopped; nothing is left listening.")


def check_demo(*, azure: bool = False) -> bool:
    """Sign with each demo profile (``azure``: demo-azure too) and use the results as a recipient would."""
    import warnings

    import msc_notebook as msc

    from .demo.environment import CDN_PROFILE, DEMO_PROFILE, STS_PROFILE, ZARR_PREFIX

    try:
        get_url = msc.generate_presigned_url(f"msc://{DEMO_PROFILE}/hello.txt", signer_options={"expires_in": 900})
        body = urllib.request.urlopen(get_url, timeout=10).read()
        put_url = msc.generate_presigned_url(f"msc://{DEMO_PROFILE}/uploads/from-demo.txt", method="PUT")
        urllib.request.urlopen(urllib.request.Request(put_url, data=b"uploaded by the demo\n", method="PUT"), timeout=10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", msc.CredentialExpiryWarning)
            sts_url = msc.generate_presigned_url(f"msc://{STS_PROFILE}/hello.txt")
        share = msc.generate_presigned_url(f"msc://{CDN_PROFILE}/{ZARR_PREFIX}/*")
        zarr_json = urllib.request.urlopen(msc.object_url(share, "zarr.json"), timeout=10).read()
        if azure:
            from .demo.azure_demo import AZURE_PROFILE

            sas_url = msc.generate_presigned_url(f"msc://{AZURE_PROFILE}/hello.txt", signer_options={"expires_in": 900})
            azure_body = urllib.request.urlopen(sas_url, timeout=10).read()
    except (msc.PresignError, urllib.error.URLError) as exc:
        _say(f"error: the demo does not work as it should: {exc}")
        return False
    _say(f"\nChecked: a GET URL returned {body[:40]!r}...; a PUT URL uploaded an object.")
    _say(f"Checked: {STS_PROFILE} URLs end with their credentials, {sts_url.seconds_left() / 60:.0f} min from now.")
    _say(f"Checked: one CloudFront wildcard signature opens {ZARR_PREFIX}/ ({len(zarr_json)} bytes of metadata).")
    if azure:
        _say(f"Checked: an Azure SAS URL returned {azure_body[:40]!r}...")
    return True


def _lab_port(requested: int | None) -> int:
    if shutil.which("jupyter") is None and not _has_module("jupyterlab"):
        raise DemoError("JupyterLab is not installed; install the demo with: pip install -e '.[demo]'")
    if requested is None:
        from .demo.seaweedfs import free_ports

        return free_ports(1)[0]
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", requested)) == 0:
            raise DemoError(f"port {requested} is already in use; pick another with --port, or leave it out")
    return requested


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def run_lab(root: Path, port: int, *, open_browser: bool) -> None:
    """JupyterLab on a copy of the notebooks (so the repository's stay clean), until Ctrl-C."""
    if not NOTEBOOKS.is_dir():
        raise DemoError(f"the demo notebooks were not found at {NOTEBOOKS}; run the demo from a clone of the repository")
    work = root / "notebooks"
    shutil.copytree(NOTEBOOKS, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns("screenshots"))
    command = [
        sys.executable, "-m", "jupyter", "lab", "--ip=127.0.0.1", f"--port={port}", f"--ServerApp.root_dir={work}",
        "--LabApp.default_url=/lab/tree/quickstart.ipynb", "--LabApp.news_url=None",
    ]  # fmt: skip
    if not open_browser:
        command.append("--no-browser")
    if os.geteuid() == 0:
        command.append("--allow-root")
    _say(f"Starting JupyterLab on http://127.0.0.1:{port}/lab/tree/quickstart.ipynb (Ctrl-C stops everything) ...")
    lab = subprocess.Popen(command, cwd=work, start_new_session=True)
    try:
        lab.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)  # Lab and its kernels
            try:
                lab.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
                lab.wait()


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _wait_for_interrupt() -> None:
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass


def _say(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    sys.exit(main())
