"""What a recipient can run with only a share's link, beyond zarr: xarray over a shared Zarr dataset,
and pandas over a shared folder of CSV or Parquet files.

Each recipe runs as the recipient would run it: in a separate process with no credentials, no MSC
config and no msc_notebook (support.recipient.run_snippet), against a real share from a real S3
server (SeaweedFS), and must read back exactly what was written. (The recipes alone: tests/frontends/test_recipes.py.)
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import BUCKET
from support.recipient import run_snippet

import msc_notebook as msc
from msc_notebook.frontends._facts import result_facts
from msc_notebook.frontends._recipes import (
    pandas_snippet,
    recipes_for,
    xarray_snippet,
)

pytestmark = pytest.mark.e2e  # real shares on SeaweedFS, each recipe in its own recipient process

XARRAY_PREFIX = "recipes/sea surface.zarr"
CSV_PREFIX = "recipes/daily readings"
PARQUET_PREFIX = "recipes/parquet tables"


def _upload(seaweedfs, prefix: str, files: dict[str, bytes]) -> None:
    client = seaweedfs.client()
    for key, body in files.items():
        client.put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=body)


@pytest.fixture(scope="module")
def sea_surface(seaweedfs, tmp_path_factory) -> xr.Dataset:
    """An xarray-written Zarr v3 store (consolidated, as to_zarr writes it by default) under XARRAY_PREFIX:
    a chunked 3-D variable with a NaN and a name with spaces, an integer one, unicode strings, a
    time coordinate, and attributes."""
    rng = np.random.default_rng(11)
    temperature = (15 + 10 * rng.standard_normal((6, 4, 8))).astype("float32")
    temperature[2, 1, 3] = np.nan  # a fill value: xarray masks it, so it must come back as NaN
    dataset = xr.Dataset(
        {
            "sea surface temperature": (("time", "lat", "lon"), temperature, {"units": "degC"}),
            "station count": (("time",), np.array([3, 4, 4, 5, 2, 7], dtype="int32")),
            "station name": (("lat",), np.array(["Brest", "Nouméa", "Ísafjörður", "Hobart"], dtype=object)),
        },
        coords={
            "time": pd.date_range("2024-01-01", periods=6, freq="D", unit="ns"),  # xarray decodes times as ns
            "lat": np.linspace(-45.0, 45.0, 4),
            "lon": np.linspace(0.0, 315.0, 8),
        },
        attrs={"title": "Sea surface sample for the recipe tests", "source": "synthetic"},
    )
    local = tmp_path_factory.mktemp("xarray") / "sea surface.zarr"
    with warnings.catch_warnings():  # "consolidated metadata is not in the v3 spec": xarray writes it anyway
        warnings.simplefilter("ignore")
        dataset.to_zarr(local, mode="w", zarr_format=3, encoding={"sea surface temperature": {"chunks": (2, 2, 4)}})
    _upload(
        seaweedfs,
        XARRAY_PREFIX,
        {p.relative_to(local).as_posix(): p.read_bytes() for p in local.rglob("*") if p.is_file()},
    )
    return dataset


def _frame(start: int, rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.arange(start, start + rows, dtype="int64"),
            "value": np.linspace(0, 1, rows) + start / 7,  # repeating decimals: the CSV round trip must be exact
            "label": [f'row {i}, "quoted", é' for i in range(start, start + rows)],
        }
    )


CSV_FILES = {  # spaces in folder and file names, unicode, an upper-case suffix
    "2024-01 part 1.csv": _frame(0, 4),
    "sub folder/2024-02 part 2.csv": _frame(4, 3),
    "sub folder/été 3.csv": _frame(7, 5),
    "UPPER CASE.CSV": _frame(12, 2),
}


@pytest.fixture(scope="module")
def csv_folder(seaweedfs) -> pd.DataFrame:
    """CSV files under CSV_PREFIX, plus files the recipe must leave out; the frame the recipe must read."""
    files = {key: frame.to_csv(index=False).encode() for key, frame in CSV_FILES.items()}
    _upload(seaweedfs, CSV_PREFIX, {**files, "notes.txt": b"not a table", "archive/old.csv.gz": b"\x1f\x8b"})
    return pd.concat([CSV_FILES[key] for key in sorted(CSV_FILES)], ignore_index=True)


@pytest.fixture(scope="module")
def parquet_folder(seaweedfs) -> pd.DataFrame:
    """Parquet files (typed columns: times, booleans, nullable integers, strings with a missing one) under
    PARQUET_PREFIX, plus a _SUCCESS marker; the frame the recipe must read."""
    frames = {}
    for number, key in enumerate(["year 2023/part 0.parquet", "year 2024/part 1.parquet", "part 2.parquet"]):
        frames[key] = pd.DataFrame(
            {
                "when": pd.date_range(f"2024-03-0{number + 1}", periods=3, freq="h"),
                "ok": [True, False, number % 2 == 0],
                "count": pd.array([number, None, 10 * number], dtype="Int64"),
                "label": [f"p{number}", None, 'é, "q"'],
            }
        )
    files = {key: frame.to_parquet(index=False) for key, frame in frames.items()}
    _upload(seaweedfs, PARQUET_PREFIX, {**files, "_SUCCESS": b""})
    return pd.concat([frames[key] for key in sorted(frames)], ignore_index=True)


XARRAY_COLLECT = """
dataset = namespace["dataset"].load()
result = {
    "values": {name: variable.values for name, variable in dataset.variables.items()},
    "dims": {name: variable.dims for name, variable in dataset.variables.items()},
    "variable_attrs": {name: dict(variable.attrs) for name, variable in dataset.variables.items()},
    "attrs": dict(dataset.attrs),
    "data_vars": sorted(dataset.data_vars),
}
"""

PANDAS_COLLECT = """
result = {"frame": namespace["frame"], "keys": namespace["keys"]}
"""


def _open_dataset_variant(snippet: str) -> str:
    """The xarray recipe with its other spelling, xr.open_dataset(..., engine="zarr")."""
    opened = 'xr.open_zarr(\n    "reference://",\n'
    assert opened in snippet
    return snippet.replace(opened, 'xr.open_dataset(\n    "reference://",\n    engine="zarr",\n')


@pytest.mark.parametrize("opener", ["open_zarr", "open_dataset"])
def test_xarray_reads_every_variable_of_a_shared_zarr_dataset(sea_surface, demo_profile, tmp_path, opener):
    share = msc.share_prefix(f"msc://demo/{XARRAY_PREFIX}/*")
    assert recipes_for(share.formats) == ["zarr", "xarray"]
    snippet = xarray_snippet(share.fsspec_url, share.storage_options())
    assert result_facts(share).recipes == {"xarray": snippet}  # the widget shows it beside the zarr snippet
    assert '"fo": ' + json.dumps(str(share)) in snippet
    if opener == "open_dataset":
        snippet = _open_dataset_variant(snippet)

    received = run_snippet(tmp_path, snippet, XARRAY_COLLECT)
    assert received["imported"] == []
    assert received["data_vars"] == sorted(sea_surface.data_vars)
    assert received["attrs"] == sea_surface.attrs
    assert sorted(received["values"]) == sorted(sea_surface.variables)
    for name, variable in sea_surface.variables.items():
        np.testing.assert_array_equal(received["values"][name], variable.values, err_msg=name)
        if variable.dtype != object:  # zarr 3 reads strings back as numpy's StringDType, from local disk too
            assert received["values"][name].dtype == variable.dtype, name
        assert received["dims"][name] == variable.dims and received["variable_attrs"][name] == variable.attrs, name
    assert np.isnan(received["values"]["sea surface temperature"][2, 1, 3])


def test_pandas_reads_and_concatenates_every_csv_file_of_a_shared_folder(csv_folder, demo_profile, tmp_path):
    share = msc.share_prefix(f"msc://demo/{CSV_PREFIX}/*")
    assert recipes_for(share.formats) == ["csv"]  # old.csv.gz is no CSV to pandas from a file object
    snippet = pandas_snippet(share.fsspec_url, share.storage_options(), file_format="csv")
    assert result_facts(share).recipes == {"csv": snippet}
    assert '"fo": ' + json.dumps(str(share)) in snippet and "asynchronous" not in snippet

    received = run_snippet(tmp_path, snippet, PANDAS_COLLECT)
    assert received["imported"] == []
    assert received["keys"] == sorted(CSV_FILES)  # every CSV, spaces and all; nothing else
    pd.testing.assert_frame_equal(received["frame"], csv_folder, check_exact=True)


def test_pandas_reads_and_concatenates_every_parquet_file_of_a_shared_folder(parquet_folder, demo_profile, tmp_path):
    share = msc.share_prefix(f"msc://demo/{PARQUET_PREFIX}/*")
    assert recipes_for(share.formats) == ["parquet"]
    snippet = pandas_snippet(share.fsspec_url, share.storage_options(), file_format="parquet")

    received = run_snippet(tmp_path, snippet, PANDAS_COLLECT)
    assert received["imported"] == []
    assert received["keys"] == ["part 2.parquet", "year 2023/part 0.parquet", "year 2024/part 1.parquet"]
    pd.testing.assert_frame_equal(received["frame"], parquet_folder, check_exact=True)


def test_the_pandas_recipe_reads_a_manifest_sent_as_a_file(csv_folder, demo_profile, tmp_path):
    """A manifest written to a local file: the recipient has the file they were sent, in their folder."""
    manifest = tmp_path / "sent" / "readings.json"
    manifest.parent.mkdir()
    share = msc.share_prefix(f"msc://demo/{CSV_PREFIX}/*", manifest_url=manifest.as_uri())
    snippet = pandas_snippet(share.fsspec_url, share.storage_options(), file_format="csv")
    assert '"fo": "readings.json",  # the manifest file you were sent' in snippet
    sent = f"import shutil\n\nshutil.copy({str(manifest)!r}, 'readings.json')  # into the recipient's folder\n"
    received = run_snippet(tmp_path, sent + snippet, PANDAS_COLLECT)
    pd.testing.assert_frame_equal(received["frame"], csv_folder, check_exact=True)


def test_a_file_the_pandas_recipe_cannot_fetch_raises_rather_than_going_missing(csv_folder, demo_profile, tmp_path):
    """One refused URL in a copied manifest: the recipe stops with ReferenceNotReachable (run here, in
    process: what is tested is fsspec's answer), it does not hand back a frame without that file."""
    from fsspec.implementations.reference import ReferenceNotReachable

    share = msc.share_prefix(f"msc://demo/{CSV_PREFIX}/*")
    manifest = json.loads(json.dumps(share.manifest))
    url = manifest["refs"]["sub folder/été 3.csv"][0]
    signature = url.rsplit("X-Amz-Signature=", 1)[1]
    manifest["refs"]["sub folder/été 3.csv"][0] = url.replace(signature, signature[::-1])
    copied = tmp_path / "copied.json"
    copied.write_text(json.dumps(manifest))
    snippet = pandas_snippet(share.fsspec_url, {**share.storage_options(), "fo": str(copied)}, file_format="csv")
    with pytest.raises(ReferenceNotReachable, match="sub folder/été 3.csv"):
        exec(snippet.replace("print(frame)", ""), {})
