"""Run MSC 1.3.1 itself (a test dependency) on jobs, in a child process, and report what it did.

MSC is run apart from the test process because importing it has side effects
(its ais_s3 provider imports aistore's botocore patch, which changes botocore's
redirect handling for the whole process) and costs seconds. botocore's clock is
frozen in the child (``botocore.auth.get_current_datetime``), so its URLs can be
compared byte for byte with ours signed at the same frozen time.

Protocol: a JSON object on stdin {"frozen": ISO time, "jobs": [...]}, a JSON list
of results on stdout, one per job. A job is one of
  {"config": {...}, "profile": P, "paths": [...], "methods": [...]}  load a profile, sign paths
  {"msc_config": PATH, "url": URL, "methods": [...]}                   the generate_presigned_url shortcut
  {"expand": [strings]}                                                MSC's ${VAR} expansion
Each outcome is {"ok": value} or {"error": exception class name}.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from typing import Any
from unittest import mock


def run(jobs: list[dict[str, Any]], frozen: datetime, env: dict[str, str], timeout: float = 300) -> list[dict]:
    """Run ``jobs`` through MSC in a child process with environment ``env``."""
    done = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps({"frozen": frozen.isoformat(), "jobs": jobs}, default=str),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the MSC oracle failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def _outcome(call) -> dict:
    try:
        return {"ok": call()}
    except Exception as exc:  # noqa: BLE001 (the class is the answer)
        return {"error": type(exc).__name__, "message": str(exc)[:300]}


def _job(job: dict) -> dict:
    import multistorageclient as msc
    from multistorageclient import shortcuts

    if "expand" in job:
        from multistorageclient.utils import expand_env_vars

        return {"values": [_outcome(lambda v=v: expand_env_vars(v)) for v in job["expand"]]}
    if "msc_config" in job:
        os.environ["MSC_CONFIG"] = job["msc_config"]
        shortcuts._STORAGE_CLIENT_CACHE.clear()
        shortcuts._PATH_MAPPING_CACHE.clear()
        return {"urls": [_outcome(lambda m=m: msc.generate_presigned_url(job["url"], method=m)) for m in job["methods"]]}
    loaded = _outcome(lambda: msc.StorageClient(msc.StorageClientConfig.from_dict(job["config"], profile=job["profile"])))
    if "error" in loaded:
        return {"load": loaded}
    client = loaded["ok"]
    urls = {
        f"{method} {path}": _outcome(lambda p=path, m=method: client.generate_presigned_url(p, method=m))
        for path in job["paths"]
        for method in job["methods"]
    }
    return {"load": {"ok": True}, "urls": urls}


def main() -> None:
    import logging
    import warnings

    import botocore.auth

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    request = json.load(sys.stdin)
    frozen = datetime.fromisoformat(request["frozen"]).replace(tzinfo=None)  # botocore's clock is naive UTC
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *args, **kwargs: frozen):
        results = [_job(job) for job in request["jobs"]]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
