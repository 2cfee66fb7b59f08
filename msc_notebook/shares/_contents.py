"""What a share's objects are, as far as their keys tell (nothing is read): what a recipient can
open them with. A Zarr group (v3's ``zarr.json`` at the top: a share of a dataset is a group; v2's
``.zgroup``; consolidated metadata) opens in zarr and in xarray; a bare v2 array (``.zarray``) in
zarr alone; CSV and Parquet files, at any depth and in any case, in pandas."""

from __future__ import annotations

from collections.abc import Iterable

FORMATS = ("zarr-group", "zarr-array", "csv", "parquet")  # in the order they are offered
_ZARR_METADATA = {"zarr.json": "zarr-group", ".zgroup": "zarr-group", ".zmetadata": "zarr-group",
                  ".zarray": "zarr-array"}  # fmt: skip
SUFFIXES = {"csv": ".csv", "parquet": ".parquet"}


def data_formats(keys: Iterable[str]) -> tuple[str, ...]:
    """The formats found among ``keys`` (relative to the shared prefix), in `FORMATS` order."""
    found: set[str] = set()
    for key in keys:
        if key in _ZARR_METADATA:
            found.add(_ZARR_METADATA[key])
        lowered = key.lower()
        found.update(name for name, suffix in SUFFIXES.items() if lowered.endswith(suffix))
    return tuple(name for name in FORMATS if name in found)
