"""What a recipient runs with a share's link: zarr, xarray, and pandas over CSV or Parquet files.

Each recipe is Python source with the link filled in, like `zarr_snippet`: it needs no
credentials, no MSC config and no msc_notebook, only the libraries its first line names.
`recipes_for` picks the recipes that fit the formats a share holds (``share.formats``, from
its keys), and `recipe_snippets` gives their source. (Every share that lists its objects also has its URL list for ``wget -i``
or ``aria2c -i``: ``share.url_list()``, whatever it holds.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

RECIPES = ("zarr", "xarray", "csv", "parquet")  # every recipe, in the order they are offered
_RECIPES_OF = {"zarr-group": ("zarr", "xarray"), "zarr-array": ("zarr",), "csv": ("csv",), "parquet": ("parquet",)}
_PANDAS = {
    "csv": ("read_csv", "pandas, fsspec and aiohttp"),
    "parquet": ("read_parquet", "pandas, pyarrow, fsspec and aiohttp"),
}
_ASYNC_FLAGS = ("asynchronous",)  # zarr 3's, at the top and in remote_options


def recipes_for(formats: Iterable[str]) -> list[str]:
    """The recipes that open ``formats`` (`msc_notebook.ManifestShare.formats`), in `RECIPES` order."""
    found = {recipe for name in formats for recipe in _RECIPES_OF.get(name, ())}
    return [name for name in RECIPES if name in found]


def recipe_snippets(formats: Iterable[str], fsspec_url: str, storage_options: dict[str, Any]) -> dict[str, str]:
    """Each recipe that fits ``formats`` (`recipes_for`) and its source, with the share's link in it."""
    makers = {
        "zarr": lambda: zarr_snippet(fsspec_url, storage_options),
        "xarray": lambda: xarray_snippet(fsspec_url, storage_options),
        "csv": lambda: pandas_snippet(fsspec_url, storage_options, file_format="csv"),
        "parquet": lambda: pandas_snippet(fsspec_url, storage_options, file_format="parquet"),
    }
    return {name: makers[name]() for name in recipes_for(formats)}


def zarr_snippet(fsspec_url: str, storage_options: dict[str, Any]) -> str:
    """What the recipient runs: zarr and fsspec with what was sent, no credentials and no msc_notebook."""
    options = _options_source(storage_options, "    ")
    return (
        f"import zarr  # needs {_needs(['zarr', 'fsspec', 'aiohttp'], storage_options)}\n\n"
        f"group = zarr.open_group(\n    {json.dumps(_opened(fsspec_url))},\n    mode=\"r\",\n    storage_options={options},\n)\n"
        "print(group.tree())"
    )


def _python_literal(value: Any, indent: str) -> str:
    """``value`` (JSON-able) as Python source, one key a line: strings double-quoted, True/False/None."""
    if isinstance(value, dict) and value:
        inner = indent + "    "
        items = ",\n".join(f"{inner}{json.dumps(k)}: {_python_literal(v, inner)}" for k, v in value.items())
        return "{\n" + items + ",\n" + indent + "}"
    return json.dumps(value) if isinstance(value, str | dict) else repr(value)


def xarray_snippet(fsspec_url: str, storage_options: dict[str, Any]) -> str:
    """The share as an xarray Dataset. xarray opens it through zarr, so it takes the zarr recipe's URL
    and storage options unchanged (zarr 3 needs their async flags: without them fsspec refuses a
    synchronous HTTP filesystem under zarr's asynchronous one). xarray's default ``consolidated=None``
    reads consolidated metadata where there is some and lists the group otherwise (with a warning)."""
    url = _opened(fsspec_url)
    return (
        f"import xarray as xr  # needs {_needs(['xarray', 'zarr', 'fsspec', 'aiohttp'], storage_options)}\n\n"
        f"dataset = xr.open_zarr(\n    {json.dumps(url)},\n    storage_options={_options_source(storage_options, '    ')},\n)"
        '  # or xr.open_dataset(..., engine="zarr")\n'
        "print(dataset)"
    )


def pandas_snippet(fsspec_url: str, storage_options: dict[str, Any], *, file_format: str) -> str:
    """Every CSV (or Parquet) file the share lists, read in key order and concatenated into one DataFrame.

    The files are found in the manifest, so only a share that lists its objects has this recipe
    (``fsspec_url`` is ``reference://``). pandas reads through fsspec's synchronous API, where zarr's
    async flags fail ("Loop is not running"), so the recipe leaves them out of the options. The files
    are fetched together with ``fs.cat``: one ranged GET each, within the size the manifest gives,
    and a refused one raises ``ReferenceNotReachable``. (``fs.open`` would cost a HEAD, refused by a
    URL signed for GET, and a second GET per file, to learn a size the manifest already holds.)
    """
    if file_format not in _PANDAS:
        raise ValueError(f"file_format must be one of {sorted(_PANDAS)}, got {file_format!r}")
    if fsspec_url != "reference://":
        raise ValueError(f"a pandas recipe reads the files a manifest lists; {fsspec_url!r} is not a manifest share")
    reader, needs = _PANDAS[file_format]
    return (
        f"import io\n\nimport fsspec\nimport pandas as pd  # needs {needs}\n\n"
        f"options = {_options_source(_synchronous(storage_options), '')}\n"
        'fs = fsspec.filesystem("reference", **options)  # the files as the manifest lists them\n'
        f'keys = sorted(key for key in fs.find("") if key.lower().endswith({json.dumps(f".{file_format}")}))\n'
        "files = fs.cat(keys)  # every file's bytes, fetched together\n"
        f"frame = pd.concat([pd.{reader}(io.BytesIO(files[key])) for key in keys], ignore_index=True)\n"
        "print(frame)"
    )


def _synchronous(storage_options: dict[str, Any]) -> dict[str, Any]:
    """The options without the async flags (an empty ``remote_options`` left out)."""
    options = {name: value for name, value in storage_options.items() if name not in _ASYNC_FLAGS}
    remote = options.get("remote_options")
    if isinstance(remote, dict):
        remote = {name: value for name, value in remote.items() if name not in _ASYNC_FLAGS}
        if remote:
            options["remote_options"] = remote
        else:
            del options["remote_options"]
    return options


def _opened(fsspec_url: str) -> str:
    """The URL a recipe opens: ``reference://`` as it is, a wildcard base without its trailing ``/``."""
    return fsspec_url if fsspec_url.endswith("://") else fsspec_url.rstrip("/")


def _sharded(storage_options: dict[str, Any]) -> bool:
    """Whether the options open a sharded manifest: lazy references read through the link."""
    return storage_options.get("target_protocol") == "reference"


def _needs(libraries: list[str], storage_options: dict[str, Any]) -> str:
    """What a recipe needs installed: ``libraries``, and fastparquet for a sharded manifest (fsspec
    reads its shards with fastparquet, whatever else is installed)."""
    names = [*libraries, "fastparquet"] if _sharded(storage_options) else libraries
    return ", ".join(names[:-1]) + " and " + names[-1]


def _options_source(options: dict[str, Any], indent: str) -> str:
    """``options`` as Python source; a manifest in a local file (``fo`` without a scheme) is marked as sent."""
    link = options.get("fo")
    source = _python_literal(options, indent)
    if isinstance(link, str) and "://" not in link and not _sharded(options):
        source = source.replace(f"{json.dumps(link)},", f"{json.dumps(link)},  # the manifest file you were sent", 1)
    return source
