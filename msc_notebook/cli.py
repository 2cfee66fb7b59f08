"""The ``msc-notebook`` command: ``msc-notebook demo`` runs the embedded demo."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msc-notebook", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="start a local S3 server (SeaweedFS) with sample data and sign URLs for it",
        description="Start a local S3 server that checks signatures, put sample objects in it, "
        "write an MSC config for it, and sign working URLs. No cloud account needed.",
    )
    demo.add_argument("--dir", type=Path, help="keep the demo's files here (default: a temporary directory)")
    demo.add_argument("--check", action="store_true", help="verify the signed URLs, then stop (no waiting)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return run_demo(args.dir, check_only=args.check)
    return 2


def run_demo(directory: Path | None, *, check_only: bool) -> int:
    from .demo.environment import DEMO_PROFILE, DemoEnvironment
    from .demo.seaweedfs import SeaweedFSError

    with tempfile.TemporaryDirectory(prefix="msc-notebook-demo-") as scratch:
        root = directory or Path(scratch)
        _say("Starting a local S3 server (SeaweedFS, 127.0.0.1 only) ...")
        try:
            env = DemoEnvironment.start(root)
        except SeaweedFSError as exc:
            _say(f"error: {exc}")
            return 1
        try:
            _say(f"S3 endpoint {env.server.endpoint_url}; MSC config {env.config_path}")
            ok = _sign_and_verify(env.config_path, DEMO_PROFILE)
            if not ok or check_only:
                return 0 if ok else 1
            _say(f"\nUse it from Python or a notebook with:  export MSC_CONFIG={env.config_path}")
            _say("Press Ctrl-C to stop the server.")
            _wait_for_interrupt()
            return 0
        finally:
            _say("Stopping the local S3 server ...")
            env.stop()


def _sign_and_verify(config_path: Path, profile: str) -> bool:
    """Sign a GET and a PUT URL for the demo profile, and use both like a recipient would."""
    import os

    import msc_notebook as msc

    os.environ["MSC_CONFIG"] = str(config_path)
    get_url = msc.generate_presigned_url(f"msc://{profile}/hello.txt", signer_options={"expires_in": 900})
    put_url = msc.generate_presigned_url(f"msc://{profile}/uploads/from-demo.txt", method="PUT")
    _say(f"\nGET  msc://{profile}/hello.txt  (valid until {get_url.effective_expiry:%H:%M:%S} UTC)\n  {get_url}")
    _say(f"PUT  msc://{profile}/uploads/from-demo.txt\n  curl -X PUT --data-binary @file '{put_url}'")
    try:
        body = urllib.request.urlopen(get_url, timeout=10).read()
        request = urllib.request.Request(put_url, data=b"uploaded by the demo\n", method="PUT")
        urllib.request.urlopen(request, timeout=10).read()
    except urllib.error.URLError as exc:
        _say(f"error: the local S3 server refused a signed URL: {exc}")
        return False
    _say(f"\nChecked: the GET URL returned {body!r}; the PUT URL uploaded an object.")
    return True


def _wait_for_interrupt() -> None:
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass


def _say(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    sys.exit(main())
