"""Sharded manifests (shares of more than 100,000 objects), against a real S3 server (SeaweedFS).

The proof is a recipient process with nothing but the share's fsspec URL and storage options
(no credentials, no msc_notebook), which reads every array through fsspec's lazy Parquet
references; here the threshold is lowered (or ``sharded=True``) so the same path runs at
20,000 objects in a few seconds.
"""

from __future__ import annotations

import io
import json
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import zarr
from conftest import BUCKET
from support.http_client import fetch
from support.recipient import build_zarr_dataset, run_recipient, run_snippet

import msc_notebook as msc
from msc_notebook.frontends._facts import result_facts
from msc_notebook.shares import _share_prefix
from msc_notebook.shares._shard_layout import chunk_index, index_at, positions

DATASET = "sharded/ocean.zarr"
BIG = "sharded/big.zarr"
BIG_SHAPE = (200, 100)  # chunks of one element: 20,000 chunk objects, some of them absent (fill value)


def _files(local: Path) -> dict[str, bytes]:
    return {path.relative_to(local).as_posix(): path.read_bytes() for path in local.rglob("*") if path.is_file()}


def _put_tree(seaweedfs, files: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    client = seaweedfs.client()
    with ThreadPoolExecutor(10) as pool:  # botocore's connection pool holds 10
        list(pool.map(lambda item: client.put_object(Bucket=BUCKET, Key=f"{prefix}/{item[0]}", Body=item[1]), files.items()))
    return files


@pytest.fixture(scope="module")
def dataset(seaweedfs, tmp_path_factory):
    local = tmp_path_factory.mktemp("sharded") / "ocean.zarr"
    arrays = build_zarr_dataset(local)
    return arrays, _put_tree(seaweedfs, _files(local), DATASET)


def _big_array() -> np.ndarray:
    data = np.arange(np.prod(BIG_SHAPE), dtype="int32").reshape(BIG_SHAPE)
    data[50:60, :] = -1  # the fill value: zarr writes no chunk for these, so the shards have gaps
    return data


@pytest.fixture(scope="module")
def big(seaweedfs, tmp_path_factory):
    local = tmp_path_factory.mktemp("big") / "big.zarr"
    root = zarr.open_group(str(local), mode="w", zarr_format=3)
    data = _big_array()
    # Its chunks are written here, not by zarr (20 s for 20,000 files): with no compressor a chunk
    # is its one little-endian value, and a chunk of the fill value is not stored (zarr's default).
    root.create_array("grid", shape=BIG_SHAPE, chunks=(1, 1), dtype="<i4", fill_value=-1, compressors=None)
    legacy = zarr.open_group(str(local / "legacy"), mode="w", zarr_format=2)  # v2 keys: 3.7, with a real .zarray
    legacy.create_array("counts", shape=(30, 40), chunks=(3, 4), dtype="uint16")[:] = np.arange(1200).reshape(30, 40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        zarr.consolidate_metadata(str(local / "legacy"), zarr_format=2)
    chunks = {f"grid/c/{i}/{j}": data[i, j].tobytes() for i, j in np.ndindex(*BIG_SHAPE) if data[i, j] != -1}
    return _put_tree(seaweedfs, {**_files(local), **chunks}, BIG)


@pytest.mark.e2e  # a separate recipient process
def test_a_recipient_with_only_the_link_reads_every_array_through_the_shards(dataset, demo_profile, tmp_path):
    arrays, files = dataset
    share = msc.share_prefix(f"msc://demo/{DATASET}/*", sharded=True, expires_in=900)
    assert isinstance(share, msc.ManifestShare) and share.fsspec_url == "reference://ocean.zarr"
    assert share.count == len(files) and share.total_bytes == sum(map(len, files.values()))
    options = share.storage_options()
    assert json.loads(json.dumps(options)) == options and options["target_options"]["fo"] == str(share)
    facts = share.manifest["msc_notebook"]
    assert facts["layout"] == "sharded" and facts["shard_count"] >= 1 and facts["count"] == len(files)
    # The lazy mapping lists every object once, with a URL that fetches it.
    assert sorted(share.urls) == sorted(files) and len(share.urls) == len(files)
    for key in ("zarr.json", "temperature/c/0/0", "nested group/données/température moyenne/c/0/0"):
        assert fetch(share.urls[key]).content == files[key]
    with pytest.raises(KeyError):
        share.urls["temperature/c/99/0"]

    received = run_recipient(tmp_path, result_facts(share).zarr_snippet)
    assert received["imported"] == [] and received["title"] == "Ocean sample for the prefix-share tests"
    for path, data in arrays.items():
        np.testing.assert_array_equal(received["arrays"][path], data)
    np.testing.assert_array_equal(received["arrays"]["sharded[3:5, 40:41]"], arrays["sharded"][3:5, 40:41])


RECIPIENT_READS_BIG = """
import zarr

group = namespace["group"]
result = {"grid": group["grid"][:], "counts": zarr.open_group(
    namespace["url"] + "/legacy", mode="r", storage_options=namespace["options"], zarr_format=2)["counts"][:]}
"""


@pytest.mark.e2e  # 20,000 objects on the server, and a separate recipient process
def test_twenty_thousand_objects_past_a_lowered_threshold_are_sharded_and_read_whole(big, demo_profile, tmp_path, monkeypatch):
    monkeypatch.setattr(_share_prefix, "SHARD_THRESHOLD", 10_000)
    share = msc.share_prefix(f"msc://demo/{BIG}/*")  # by size: sharded
    assert share.manifest["msc_notebook"]["layout"] == "sharded" and share.count == len(big)
    # one shard a chunk directory (grid/c/I) that holds a chunk (rows 50-59 hold none), one for the v2 array
    assert share.manifest["msc_notebook"]["shard_count"] == 200 - 10 + 1
    snippet = (
        f"import zarr\nurl = {share.fsspec_url!r}\noptions = {share.storage_options()!r}\n"
        "group = zarr.open_group(url, mode='r', storage_options=options)\n"
    )
    received = run_snippet(tmp_path, snippet, RECIPIENT_READS_BIG)
    np.testing.assert_array_equal(received["grid"], _big_array())
    np.testing.assert_array_equal(received["counts"], np.arange(1200).reshape(30, 40))
    # Every listed object is in the lazy mapping, exactly once; a tampered URL is refused.
    assert sorted(share.urls) == sorted(big)
    url = share.urls["grid/c/7/3"]
    assert fetch(url).content == big["grid/c/7/3"]
    assert fetch(url[:-4] + ("0000" if not url.endswith("0000") else "1111")).status_code == 403
    assert share.url_list().count("\n") == len(big)


def test_a_share_of_other_files_past_the_threshold_says_to_use_one_json_manifest(demo_profile, seaweedfs, monkeypatch):
    client, before = seaweedfs.client(), _shards_left(seaweedfs)
    for name in ("a.csv", "b.csv", "0", "1"):
        client.put_object(Bucket=BUCKET, Key=f"sharded/mixed/{name}", Body=b"x")
    monkeypatch.setattr(_share_prefix, "SHARD_THRESHOLD", 2)
    with pytest.raises(msc.PrefixShareError, match="sharded/mixed/a.csv is neither a Zarr chunk nor Zarr metadata") as error:
        msc.share_prefix("msc://demo/sharded/mixed/*")
    assert "sharded=False" in str(error.value)
    assert _shards_left(seaweedfs) == before
    share = msc.share_prefix("msc://demo/sharded/mixed/*", sharded=False)
    assert "layout" not in share.manifest["msc_notebook"] and share.count == 4


def test_a_sharded_share_cannot_be_a_local_file_and_says_so_before_listing(demo_profile, tmp_path):
    with pytest.raises(msc.PrefixShareError, match="cannot be a local file") as error:
        msc.share_prefix("msc://demo/nothing/here/*", sharded=True, manifest_url=(tmp_path / "x.json").as_uri())
    assert error.value.field == "manifest_url"
    with pytest.raises(msc.SignerOptionError, match="sharded must be True, False or None"):
        msc.share_prefix("msc://demo/nothing/here/*", sharded="yes")


def _shards_left(seaweedfs) -> list[str]:
    listed = seaweedfs.client().list_objects_v2(Bucket=BUCKET, Prefix=".msc_notebook/shares/")
    return [item["Key"] for item in listed.get("Contents", []) if "-shards-" in item["Key"]]


def test_a_share_interrupted_while_writing_shards_leaves_none_behind(big, demo_profile, seaweedfs, monkeypatch):
    from msc_notebook.s3._signer import S3URLSigner

    before = _shards_left(seaweedfs)
    written = []
    original = S3URLSigner.write_object

    def interrupted(self, path, body, **kwargs):
        if len(written) == 3:
            raise KeyboardInterrupt
        original(self, path, body, **kwargs)
        written.append(path)

    monkeypatch.setattr(S3URLSigner, "write_object", interrupted)
    with pytest.raises(KeyboardInterrupt):
        msc.share_prefix(f"msc://demo/{BIG}/*", sharded=True, progress=False)
    assert len(written) == 3 and _shards_left(seaweedfs) == before


def test_revoking_a_sharded_share_deletes_its_manifest_and_its_shards(dataset, demo_profile, seaweedfs):
    before = _shards_left(seaweedfs)
    share = msc.share_prefix(f"msc://demo/{DATASET}/*", sharded=True)
    shards = _shards_left(seaweedfs)
    assert len(shards) == len(before) + share.manifest["msc_notebook"]["shard_count"]
    assert "the link no longer opens" in share.revoke()
    assert fetch(str(share)).status_code in (403, 404) and _shards_left(seaweedfs) == before


def test_shard_rows_are_read_back_by_fastparquet_as_written_gaps_included(demo_profile, dataset):
    # fastparquet is what fsspec reads shards with; a dictionary page that overflows, or plain
    # strings under pandas 3 (NaN for a gap), would make it return wrong rows.
    import pandas as pd

    share = msc.share_prefix(f"msc://demo/{DATASET}/*", sharded=True)
    refs = share.manifest["refs"]
    shard = next(value[0] for key, value in refs.items() if key.endswith(".parq"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 calls its fastparquet engine deprecated
        paths = pd.read_parquet(io.BytesIO(fetch(shard).content), engine="fastparquet")["path"].to_numpy()
    assert all(path is None or path.startswith("http") for path in paths)


@pytest.mark.parametrize("grid", [[7], [3, 5], [2, 3, 4]])
def test_chunk_positions_and_indices_are_each_others_inverse(grid):
    indices = list(np.ndindex(*grid))
    found = list(positions(grid, list(zip(*indices, strict=True))))
    assert found == list(range(len(indices)))  # row-major, as numpy and fsspec number them
    assert [index_at(grid, position) for position in found] == indices


def test_only_canonical_numbers_are_chunk_names():
    assert chunk_index("3.7") == (3, 7) and chunk_index("0") == (0,)
    assert [chunk_index(name) for name in ("07", "3.", "", "c", "١", "3.x", "-1")] == [None] * 7


def test_revoking_from_the_link_alone_deletes_the_shards_too(dataset, demo_profile, seaweedfs):
    before = _shards_left(seaweedfs)
    share = msc.share_prefix(f"msc://demo/{DATASET}/*", sharded=True)
    assert "the link no longer opens" in msc.revoke(str(share))
    assert _shards_left(seaweedfs) == before


def test_a_manifest_that_names_shards_elsewhere_deletes_nothing(dataset, demo_profile, seaweedfs):
    share = msc.share_prefix(f"msc://demo/{DATASET}/*", sharded=True)
    manifest = json.loads(json.dumps(share.manifest))
    manifest["msc_notebook"]["shards"] = f"msc://demo/{DATASET}/"  # the dataset itself
    location = share.details.manifest_location
    key = location.removeprefix("msc://demo/")
    seaweedfs.client().put_object(Bucket=BUCKET, Key=key, Body=json.dumps(manifest, separators=(",", ":")).encode())
    with pytest.raises(msc.PrefixShareError, match="names shards that are not beside it"):
        msc.revoke(location)
    assert fetch(str(share)).status_code == 200  # nothing was deleted
    share.revoke()


# --- The Dask engine: the same shards, written by tasks -------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


def _stored_share(seaweedfs, share) -> dict[str, bytes]:
    """The share's top level and every shard, as stored."""
    client = seaweedfs.client()
    folder = share.manifest["msc_notebook"]["shards"].removeprefix("msc://demo/")
    listed = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=folder)
    keys = [item["Key"] for page in listed for item in page.get("Contents", [])]
    return {"link": str(share).encode(), "top": fetch(str(share)).content,
            **{key: client.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}}  # fmt: skip


def _record_opens() -> None:
    import sys

    opened = []
    sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" and args else None)
    sys.modules["__main__"].msc_notebook_opened = opened  # read back by _opened_paths


def _opened_paths() -> list[str]:
    import sys

    return list(sys.modules["__main__"].msc_notebook_opened)


@pytest.mark.e2e  # a Dask cluster of two worker processes, and 19,107 objects
def test_dask_writes_the_same_manifest_and_shards_as_the_local_engine(
    big, demo_profile, seaweedfs, dask_client, monkeypatch, capsys
):
    from datetime import datetime, timezone

    from msc_notebook.shares import _manifest
    from msc_notebook.testing import freeze_clock

    monkeypatch.setattr(_manifest.secrets, "token_hex", lambda _n: "abcdef")  # one shard folder name for both runs
    when = datetime.now(timezone.utc).replace(microsecond=0)
    place = "msc://demo/.msc_notebook/shares/big-dask-compare.json"
    with freeze_clock(when):
        local = msc.share_prefix(f"msc://demo/{BIG}/*", sharded=True, manifest_url=place, progress=False)
    expected = _stored_share(seaweedfs, local)
    local.revoke()
    dask_client.run(_record_opens)
    with freeze_clock(when):
        shared = msc.share_prefix(f"msc://demo/{BIG}/*", dask_client=dask_client, manifest_url=place, progress=True)
    assert _stored_share(seaweedfs, shared) == expected  # byte for byte: the link, the top level, every shard
    shown = capsys.readouterr().err  # the progress bar: objects signed, tasks done
    assert f"sharing msc://demo/{BIG}/* on Dask" in shown and " URLs" in shown and "/190 tasks" in shown  # grid/c/I/ that hold chunks
    assert shared.count == local.count == len(big) and shared.total_bytes == local.total_bytes
    # The workers listed and signed from the frozen credentials alone: no config or credential file read.
    for opened in dask_client.run(_opened_paths).values():
        assert not [path for path in opened if ".aws" in path or "msc_config" in path], opened
    # What the dashboard and logs show of the tasks: keys that name the run, no secret.
    assert all(key.startswith("msc-notebook-share-") for key in dask_client.run_on_scheduler(_task_keys))
    received = zarr.open_group(shared.fsspec_url, mode="r", storage_options=shared.storage_options())
    np.testing.assert_array_equal(received["grid"][45:65, ::7], _big_array()[45:65, ::7])
    shared.revoke()


def _task_keys(dask_scheduler=None) -> list[str]:
    return [str(key) for key in dask_scheduler.tasks if "share" in str(key) or "_share_part" in str(key)]


def test_the_frozen_profile_shows_no_secret_and_refuses_what_dask_cannot_do(demo_profile, seaweedfs, dask_client, tmp_path):
    frozen = msc.StorageClient(msc.StorageClientConfig.from_file("demo")).signer().freeze()
    assert seaweedfs.secret_key not in repr(frozen) and frozen.thaw().credentials().access_key == frozen.access_key
    for kwargs, field in (({"sharded": False}, "sharded"), ({"inventory": "msc://demo/i/manifest.json"}, "inventory"),
                          ({"manifest_url": (tmp_path / "x.json").as_uri()}, "manifest_url")):  # fmt: skip
        with pytest.raises(msc.PresignError) as error:
            msc.share_prefix("msc://demo/nothing/*", dask_client=dask_client, **kwargs)
        assert error.value.field == field
    with pytest.raises(msc.SignerOptionError, match="must be a distributed.Client"):
        msc.share_prefix("msc://demo/nothing/*", dask_client="tcp://127.0.0.1:8786")



def test_the_command_line_and_the_magic_share_in_shards_or_in_one_manifest(dataset, demo_profile, ip, seaweedfs):
    from conftest import run_cell
    from support.cli import run_cli

    done = run_cli("presign", f"msc://demo/{DATASET}/*", "--sharded", "--json")
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    snippet = facts["zarr_snippet"]
    assert '"reference://ocean.zarr"' in snippet and '"target_protocol": "reference"' in snippet and "fastparquet" in snippet
    assert "urls" not in facts  # a sharded share's URLs are in its shards: --list prints them
    msc.revoke(facts["url"])
    done = run_cli("presign", f"msc://demo/{DATASET}/x.bin", "--single-manifest")
    assert done.returncode != 0 and "--sharded is for sharing a prefix" in done.stderr
    executed, captured = run_cell(ip, f'%presign "msc://demo/{DATASET}/*" --sharded')
    share = executed.result
    assert share.fsspec_url == "reference://ocean.zarr" and "reference://ocean.zarr" in captured.outputs[0].data["text/html"]
    share.revoke()
