"""``s3://bucket/key`` resolved to a profile and path, the way MSC resolves it.

1. ``path_mapping`` in the MSC config: among the sources ``s3://BUCKET/PREFIX/``
   that the URL starts with, the longest wins; its destination ``msc://PROFILE/``
   names the profile (keys and credentials), and the rest of the key is the path
   under it. As in MSC, entries that do not end in ``/`` or do not point at
   ``msc://.../`` are ignored, and so is any path after the destination's profile.
2. Otherwise MSC's implicit profile ``_s3-BUCKET``: the config's profile of that
   name if there is one, else S3 with ``base_path: BUCKET`` and the AWS default
   credential chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .config import implicit_profile, load_config, profile_entry, profiles_of
from .config_files import find_config_file
from .errors import ConfigNotFoundError, ConfigParseError


@dataclass(frozen=True)
class ProfileSource:
    """Which profile signs an object, the object's path under it, and where that came from."""

    profile: str
    path: str
    raw_profile: Mapping[str, Any]  # with ${VAR} expanded
    config_path: Path | None
    source_prefix: str | None  # what the user wrote before ``path`` (e.g. "s3://bucket/data/"); None: msc://PROFILE/


def resolve_s3_url(bucket: str, key: str) -> ProfileSource:
    """The profile and path that sign ``s3://bucket/key``, through path_mapping first."""
    try:
        config_path: Path | None = find_config_file()
        data = load_config(config_path)
    except ConfigNotFoundError:
        config_path, data = None, {}
    where = str(config_path) if config_path else "the config"
    profile, path = _mapped(data.get("path_mapping"), bucket, key, where) or (f"_s3-{bucket}", key)
    if profile not in profiles_of(data, where) and implicit_profile(profile) is not None:
        raw = implicit_profile(profile)
    else:
        raw = profile_entry(data, profile, where)
    return ProfileSource(profile, path, raw, config_path, f"s3://{bucket}/{key[: len(key) - len(path)]}")


def _mapped(mapping: Any, bucket: str, key: str, where: str) -> tuple[str, str] | None:
    """MSC's ``PathMapping.find_mapping`` for an s3:// URL: (profile, path) or None."""
    if mapping is None:
        return None
    if not isinstance(mapping, Mapping):
        raise ConfigParseError(f"{where}: 'path_mapping' must map source prefixes to msc://PROFILE/ URLs")
    candidates = []
    for source, destination in mapping.items():
        if not (isinstance(source, str) and isinstance(destination, str)):
            continue
        if not (source.endswith("/") and destination.startswith("msc://") and destination.endswith("/")):
            continue
        parsed = urlparse(source)
        if parsed.scheme.lower() != "s3" or source.startswith("/") or parsed.netloc != bucket:
            continue
        prefix = _full_path(source, parsed).removeprefix("/")
        candidates.append((prefix, urlparse(destination).netloc))
    for prefix, profile in sorted(candidates, key=lambda entry: len(entry[0]), reverse=True):
        if key.startswith(prefix):
            return profile, key[len(prefix) :].removeprefix("/")
    return None


def _full_path(url: str, parsed: Any) -> str:
    """The path of a parsed URL with the ``?`` and ``#`` parts put back (MSC's build_full_path)."""
    path = parsed.path
    if parsed.query:
        path += "?" + parsed.query
    elif url.endswith("?"):
        path += "?"
    if parsed.fragment:
        path += "#" + parsed.fragment
    return path
