"""The recipient recipes alone (no server): which recipes a share's keys call for, and their source.
tests/shares/test_recipes.py runs each against a real share in a credential-free process."""

from __future__ import annotations

import json

import pytest

from msc_notebook.frontends._recipes import (
    RECIPES,
    pandas_snippet,
    recipe_snippets,
    recipes_for,
    xarray_snippet,
    zarr_snippet,
)
from msc_notebook.shares._contents import data_formats

OPTIONS = {
    "fo": "http://127.0.0.1:8333/bucket/.msc_notebook/shares/x.json?X-Amz-Signature=abc",
    "remote_protocol": "http",
    "asynchronous": True,
    "remote_options": {"asynchronous": True},
}


@pytest.mark.parametrize(
    ("keys", "recipes"),
    [
        (["zarr.json", "sst/zarr.json", "sst/c/0/0"], ["zarr", "xarray"]),  # a v3 group
        ([".zattrs", ".zgroup", ".zmetadata", "sst/.zarray", "sst/0.0"], ["zarr", "xarray"]),  # v2, consolidated
        ([".zmetadata"], ["zarr", "xarray"]),
        ([".zarray", "0.0"], ["zarr"]),  # a bare v2 array: no Dataset
        (["ocean.zarr/zarr.json", "ocean.zarr/sst/zarr.json"], []),  # Zarr below the top: not what the link opens
        (["a b/c d.csv", "notes.txt", "UPPER.CSV"], ["csv"]),
        (["year=2024/part 0.parquet", "_SUCCESS"], ["parquet"]),
        (["x.parquet", "y.csv"], ["csv", "parquet"]),  # RECIPES order, whatever the listing order
        (["zarr.json", "sst/zarr.json", "stations.csv"], ["zarr", "xarray", "csv"]),
        (["archive.csv.gz", "csv", "data.parquet.crc", "zarr.json.bak", "sub/.zgroup"], []),
        ([], []),
    ],
)
def test_the_keys_tell_the_formats_and_the_formats_the_recipes(keys, recipes):
    assert recipes_for(data_formats(keys)) == recipes
    assert data_formats(iter(keys)) == data_formats(dict.fromkeys(keys, "https://example.com/signed"))  # any iterable


def test_recipe_snippets_give_each_recipe_that_fits():
    formats = data_formats(["zarr.json", "sst/zarr.json", "stations.csv", "tables/t.parquet"])
    assert formats == ("zarr-group", "csv", "parquet")
    snippets = recipe_snippets(formats, "reference://", OPTIONS)
    assert list(snippets) == list(RECIPES)
    assert snippets["zarr"] == zarr_snippet("reference://", OPTIONS)
    assert snippets["xarray"] == xarray_snippet("reference://", OPTIONS)
    assert snippets["parquet"] == pandas_snippet("reference://", OPTIONS, file_format="parquet")
    for source in snippets.values():
        compile(source, "<snippet>", "exec")
        assert json.dumps(OPTIONS["fo"]) in source
    assert recipe_snippets(data_formats(["notes.txt"]), "reference://", OPTIONS) == {}


def test_the_xarray_recipe_keeps_the_zarr_options_and_the_pandas_recipe_drops_the_async_flags():
    xarray = xarray_snippet("reference://", OPTIONS)
    assert xarray.count('"asynchronous": True') == 2 and "xr.open_zarr(" in xarray
    csv = pandas_snippet("reference://", {**OPTIONS, "remote_options": {"asynchronous": True, "headers": {"A": "b"}}},
                         file_format="csv")  # fmt: skip
    assert "asynchronous" not in csv and '"headers": {' in csv and "pd.read_csv(io.BytesIO(files[key]))" in csv
    assert '"remote_options"' not in pandas_snippet("reference://", OPTIONS, file_format="parquet")
    assert 'endswith(".parquet")' in pandas_snippet("reference://", OPTIONS, file_format="parquet")
    assert OPTIONS["remote_options"] == {"asynchronous": True}  # the caller's options are left as they were


def test_the_xarray_recipe_opens_a_wildcard_base_like_the_zarr_recipe():
    options = {"params": {"Policy": "p", "Signature": "s", "Key-Pair-Id": "K"}}
    snippet = xarray_snippet("https://d111111abcdef8.cloudfront.net/ocean.zarr/", options)
    assert '    "https://d111111abcdef8.cloudfront.net/ocean.zarr",\n' in snippet and '"Key-Pair-Id": "K"' in snippet


def test_a_pandas_recipe_needs_a_manifest_and_a_known_format():
    with pytest.raises(ValueError, match="file_format must be one of"):
        pandas_snippet("reference://", OPTIONS, file_format="json")
    with pytest.raises(ValueError, match="not a manifest share"):
        pandas_snippet("https://d111111abcdef8.cloudfront.net/tables/", {"params": {}}, file_format="csv")


def test_a_local_manifest_is_marked_as_the_file_you_were_sent():
    options = {**OPTIONS, "fo": "share.json"}
    for snippet in (
        xarray_snippet("reference://", options),
        pandas_snippet("reference://", options, file_format="csv"),
    ):
        assert '"fo": "share.json",  # the manifest file you were sent' in snippet
