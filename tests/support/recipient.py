"""A Zarr v3 dataset to share, and a recipient that runs a snippet in a separate process with only
what was sent: no credentials, no MSC config, no AWS files, no msc_notebook (`run_snippet`; the
zarr snippet's recipient, `run_recipient`, reads every array of the dataset)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import zarr


def build_zarr_dataset(local: Path) -> dict[str, np.ndarray]:
    """A Zarr v3 group: several arrays, nested groups, names with spaces and unicode, a sharded
    array, and consolidated metadata (through a manifest, zarr 3.1 finds nested groups only there)."""
    root = zarr.open_group(str(local), mode="w")
    root.attrs["title"] = "Ocean sample for the prefix-share tests"
    lat, lon = np.meshgrid(np.linspace(-60, 60, 24), np.linspace(-180, 180, 48), indexing="ij")
    arrays = {
        "temperature": (28 - 0.4 * np.abs(lat) + np.cos(np.radians(lon))).astype("float32"),
        "labels": np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3], dtype="int16"),
        "nested group/données/température moyenne": np.linspace(-2, 31, 40, dtype="float64").reshape(5, 8),
        "nested group/counts": np.arange(100, dtype="uint32"),
        "sharded": np.random.default_rng(7).standard_normal((64, 64)),
    }
    chunks = {"temperature": (8, 16), "labels": (3,), "nested group/counts": (30,), "sharded": (8, 8)}
    for path, data in arrays.items():
        array = root.create_array(
            path,
            shape=data.shape,
            dtype=data.dtype,
            chunks=chunks.get(path, data.shape),
            shards=(32, 32) if path == "sharded" else None,
        )
        array[:] = data
    with warnings.catch_warnings():  # "consolidated metadata is not in the v3 spec": published data has it
        warnings.simplefilter("ignore", UserWarning)
        zarr.consolidate_metadata(str(local))
    return arrays


# What the zarr recipient collects, after the snippet the widget shows ran: it left `group` behind.
ZARR_COLLECT = """
import zarr

group = namespace["group"]
arrays = {path: node[:] for path, node in group.members(max_depth=None) if isinstance(node, zarr.Array)}
arrays["sharded[3:5, 40:41]"] = group["sharded"][3:5, 40:41]  # a partial read: ranges inside one shard
result = {"arrays": arrays, "title": group.attrs["title"]}
"""

RUNNER = """
import pickle, sys, time

namespace = {}
started = time.perf_counter()
exec(open(sys.argv[1], encoding="utf-8").read(), namespace)  # the snippet, with the link in it
ran = time.perf_counter() - started
collected = {"namespace": namespace}
exec(open(sys.argv[2], encoding="utf-8").read(), collected)  # what to send back: `result`, a dict
result = {**collected["result"], "snippet_seconds": ran,
          "imported": sorted(m for m in ("msc_notebook", "botocore", "boto3") if m in sys.modules)}
with open(sys.argv[3], "wb") as out:
    pickle.dump(result, out)
"""


def run_snippet(tmp_path: Path, snippet: str, collect: str) -> dict:
    """Run ``snippet`` in a separate process that has no credentials, no MSC config and no AWS files,
    then ``collect`` (Python source that sees the snippet's names as ``namespace`` and sets ``result``,
    a dict). Returns that dict, plus ``imported`` (which of msc_notebook, botocore and boto3 got
    imported: none should), ``snippet_seconds`` (the snippet's run, imports included) and
    ``process_seconds`` (the whole process, interpreter start included). Each call runs in a new
    directory under ``tmp_path``."""
    workdir = Path(tempfile.mkdtemp(prefix="recipient-", dir=tmp_path))
    script, snippet_file, collect_file = workdir / "recipient.py", workdir / "snippet.py", workdir / "collect.py"
    out = workdir / "result.pickle"
    script.write_text(RUNNER)
    snippet_file.write_text(snippet, encoding="utf-8")
    collect_file.write_text(collect, encoding="utf-8")
    home = workdir / "recipient-home"
    home.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8", "AWS_EC2_METADATA_DISABLED": "true"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script), str(snippet_file), str(collect_file), str(out)],
        env=env, cwd=home, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return {**pickle.loads(out.read_bytes()), "process_seconds": time.perf_counter() - started}


def run_recipient(tmp_path: Path, snippet: str) -> dict:
    """Run the zarr snippet in a separate process that has no credentials, no MSC config and no AWS
    files; every array it reads (and one partial read), the group's title, and what it imported."""
    return run_snippet(tmp_path, snippet, ZARR_COLLECT)
