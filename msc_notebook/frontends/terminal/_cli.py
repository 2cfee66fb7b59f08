"""The msc-notebook command.

Each subcommand is one ``add_*_command`` function that adds its parser and sets
``run`` (a function of the parsed arguments returning the exit status); main() dispatches.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import sys
import tempfile
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._commands import OneLineArgumentParser, add_presign_command, add_profiles_command, add_revoke_command

NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"
READY_FILE = "ready.env"  # written when the services are up: the environment to use them
DESCRIPTION = """\
Presigned URLs for msc:// objects, with their real expiry.

New here? 'msc-notebook demo' starts a local S3 server and a CloudFront-style edge
with sample data and opens JupyterLab on a quickstart notebook; no cloud account needed."""


class DemoError(Exception):
    """Something the user can fix (a missing program, a busy port); said in one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(
        prog="msc-notebook", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_presign_command(commands)
    add_profiles_command(commands)
    add_revoke_command(commands)
    add_demo_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    words = sys.argv[1:] if argv is None else argv
    args, extra = parser.parse_known_args(words)
    if extra:  # e.g. an object URL with unquoted spaces: say how to quote it
        parser.error(getattr(args, "explain_extra", lambda _: None)(words) or f"unrecognized arguments: {' '.join(extra)}")
    if not hasattr(args, "run"):  # a bare `msc-notebook`: say what there is to run
        parser.print_help(sys.stderr)
        return 2
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


def add_demo_command(commands: argparse._SubParsersAction[Any]) -> None:
    demo = commands.add_parser(
        "demo",
        help="start local S3 and CloudFront-style services with sample data and open JupyterLab",
        description="Start a local S3 server that checks signatures (SeaweedFS) and a local edge that "
        "enforces CloudFront signatures, put sample objects and a Zarr dataset in them, write an MSC "
        "config for them, and open JupyterLab on the quickstart notebook. No cloud account needed; "
        "your own MSC and AWS config files are not touched. Ctrl-C stops everything.",
    )
    demo.add_argument("--dir", type=Path, help="keep the demo's files here (default: a temporary directory, removed)")
    mode = demo.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="sign URLs, check that they work, then stop")
    mode.add_argument("--no-lab", action="store_true", help="run the services only, until stopped")
    demo.add_argument("--port", type=int, default=None, help="JupyterLab's port (default: a free one)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser tab for JupyterLab")
    demo.set_defaults(run=_run_demo_command)


def _run_demo_command(args: argparse.Namespace) -> int:
    try:
        return run_demo(args)
    except DemoError as exc:
        _say(f"error: {exc}")
        return 1


def run_demo(args: argparse.Namespace) -> int:
    from msc_notebook.demo import seaweedfs
    from msc_notebook.demo.environment import DemoEnvironment
    from msc_notebook.demo.jupyterlab import JupyterLabError
    from msc_notebook.demo.seaweedfs import SeaweedFSError

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
            profiles = "demo, demo-sts, demo-cdn, demo-gcs" + (", demo-azure" if env.azurite is not None else "")
            _say(f"\nMSC config: {env.config_path}  (profiles {profiles})")
            if args.no_lab:
                _say(f"Use it with:  source {shlex.quote(str(ready))}")
                _say("Services running; Ctrl-C stops them.")
                _wait_for_interrupt()
            else:
                assert lab_port is not None  # chosen above whenever the lab runs
                run_lab(root, lab_port, open_browser=not args.no_browser)
            return 0
        except KeyboardInterrupt:
            return 0
        except JupyterLabError as exc:
            raise DemoError(str(exc)) from None
        finally:
            _say("Stopping the demo services:")
            env.stop(progress=_say)
            ready.unlink(missing_ok=True)  # last: its absence means everything has stopped
            _say("Stopped; nothing is left listening.")


def check_demo(*, azure: bool = False) -> bool:
    """Sign with each demo profile (``azure``: demo-azure too) and use the results as a recipient would."""
    import warnings

    import msc_notebook as msc
    from msc_notebook.demo.environment import CDN_PROFILE, DEMO_PROFILE, STS_PROFILE, ZARR_PREFIX
    from msc_notebook.demo.gcs_demo import GCS_PROFILE

    try:
        get_url = msc.generate_presigned_url(f"msc://{DEMO_PROFILE}/hello.txt", signer_options={"expires_in": 900})
        body = urllib.request.urlopen(get_url, timeout=10).read()
        put_url = msc.generate_presigned_url(f"msc://{DEMO_PROFILE}/uploads/from-demo.txt", method="PUT")
        urllib.request.urlopen(urllib.request.Request(put_url, data=b"uploaded by the demo\n", method="PUT"), timeout=10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", msc.CredentialExpiryWarning)
            sts_url = msc.generate_presigned_url(f"msc://{STS_PROFILE}/hello.txt")
        sts_body = urllib.request.urlopen(sts_url, timeout=10).read()  # the server's STS credentials work
        share = msc.generate_presigned_url(f"msc://{CDN_PROFILE}/{ZARR_PREFIX}/*")
        zarr_json = urllib.request.urlopen(msc.object_url(share, "zarr.json"), timeout=10).read()
        manifest_share = msc.share_prefix(f"msc://{DEMO_PROFILE}/{ZARR_PREFIX}/*", progress=False)
        manifest = json.loads(urllib.request.urlopen(manifest_share, timeout=10).read())
        urllib.request.urlopen(manifest["refs"]["zarr.json"][0], timeout=10).read()  # a URL the manifest holds
        checked = manifest_share.check(sample=3)  # the link and 3 objects, as an anonymous recipient
        if not checked.works:
            raise msc.PresignError(f"the share does not work as its recipient would use it:\n{checked}")
        gcs_url = msc.generate_presigned_url(f"msc://{GCS_PROFILE}/hello.txt", signer_options={"expires_in": 900})
        gcs_body = urllib.request.urlopen(gcs_url, timeout=10).read()  # the stand-in checked the V4 signature
        if azure:
            from msc_notebook.demo.azure_demo import AZURE_PROFILE

            sas_url = msc.generate_presigned_url(f"msc://{AZURE_PROFILE}/hello.txt", signer_options={"expires_in": 900})
            azure_body = urllib.request.urlopen(sas_url, timeout=10).read()
    except (msc.PresignError, urllib.error.URLError) as exc:
        _say(f"error: the demo does not work as it should: {exc}")
        return False
    _say(f"\nChecked: a GET URL returned {body[:40]!r}...; a PUT URL uploaded an object.")
    _say(f"Checked: a {STS_PROFILE} URL returned {sts_body[:5]!r}... and ends with its credentials, "
         f"{sts_url.effective_expiry - sts_url.signed_at} after signing.")
    _say(f"Checked: one CloudFront wildcard signature opens {ZARR_PREFIX}/ ({len(zarr_json)} bytes of metadata).")
    _say(f"Checked: one link to a signed manifest shares {ZARR_PREFIX}/ ({manifest_share.count} objects) on plain S3;")
    _say(f"  share.check(): the link and {len(checked.probes) - 1} objects work for an anonymous recipient"
         + (f", and the clocks agree within {abs(checked.clock_skew):.0f} s." if checked.clock_skew is not None else "."))
    _say(f"Checked: a GCS V4 URL ({GCS_PROFILE}) returned {gcs_body[:40]!r}...")
    if azure:
        _say(f"Checked: an Azure SAS URL returned {azure_body[:40]!r}...")
    return True


def _lab_port(requested: int | None) -> int:
    if shutil.which("jupyter") is None and not _has_module("jupyterlab"):
        raise DemoError("JupyterLab is not installed; install the demo with: pip install -e '.[demo]'")
    if requested is None:
        from msc_notebook.demo.seaweedfs import free_ports

        return free_ports(1)[0]
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", requested)) == 0:
            raise DemoError(f"port {requested} is already in use; pick another with --port, or leave it out")
    return requested


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def run_lab(root: Path, port: int, *, open_browser: bool) -> None:
    """JupyterLab on the quickstart, until Ctrl-C; its log goes to a file, not over ours."""
    from msc_notebook.demo.jupyterlab import DemoLab

    if not NOTEBOOKS.is_dir():
        raise DemoError(f"the demo notebooks were not found at {NOTEBOOKS}; run the demo from a clone of the repository")
    lab = DemoLab(root, port, NOTEBOOKS)
    _say(f"Starting JupyterLab (its log: {lab.log_path}) ...")
    lab.start()
    try:
        _say(f"\nJupyterLab is ready. Open the quickstart notebook at\n\n    {lab.url}\n\nCtrl-C stops everything.")
        if open_browser:
            webbrowser.open(lab.url)
        lab.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _say("Stopping JupyterLab and its kernels ...")
        lab.stop()


def _interrupt(*_: object) -> None:
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
