"""``s3://bucket/key`` resolved to a profile and path, the way MSC resolves it.

1. ``path_mapping`` in the MSC config: among the sources ``s3://BUCKET/PREFIX/``
   that the URL starts with, the longest wins; its destination ``msc://PROFILE/``
   names the profile (keys and credentials), and the rest of the key is the path
   under it. Entries are checked as MSC's schema checks them.
2. Otherwise MSC's implicit profile ``_s3-BUCKET``: S3 with ``base_path: BUCKET``
   and the AWS default credential chain. (MSC's schema forbids profile names that
   start with ``_``, so a config cannot redefine it; path_mapping is the way to
   give a bucket its own profile.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import ParseResult, urlparse

from ..core._config import implicit_profile, load_config, profile_entry, profiles_of
from ..core._config_files import find_config_file
from ..core._errors import ConfigNotFoundError, ConfigParseError


@dataclass(frozen=True)
class ProfileSource:
    """Which profile signs an object, the object's path under it, and where that came from."""

    profile: str
    path: str
    raw_profile: Mapping[str, Any]  # with ${VAR} expanded
    config_path: Path | None
    source_prefix: str | None  # what the user wrote before ``path`` (e.g. "s3://bucket/data/"); None: msc://PROFILE/
    fingerprint: str | None = None  # the expanded profile as canonical JSON, when already computed


def resolve_s3_url(bucket: str, key: str) -> ProfileSource:
    """The profile and path that sign ``s3://bucket/key``, through path_mapping first."""
    config_path: Path | None
    try:
        config_path = find_config_file()
        data = load_config(config_path)
    except ConfigNotFoundError:
        config_path, data = None, {}
    where = str(config_path) if config_path else "the config"
    mapped = _mapped(data.get("path_mapping"), bucket, key, where)
    profile, path = mapped or (f"_s3-{bucket}", key)
    if mapped and (profile in profiles_of(data, where) or implicit_profile(profile) is None):
        raw = profile_entry(data, profile, where)
    else:
        raw = implicit_profile(profile)
    return ProfileSource(profile, path, raw, config_path, f"s3://{bucket}/{key[: len(key) - len(path)]}")


def _mapped(mapping: Any, bucket: str, key: str, where: str) -> tuple[str, str] | None:
    """MSC's ``PathMapping.find_mapping`` for an s3:// URL: (profile, path) or None."""
    if mapping is None:
        return None
    if not isinstance(mapping, Mapping):
        raise ConfigParseError(f"{where}: 'path_mapping' must map source prefixes to msc://PROFILE/ URLs")
    candidates = []
    for source, destination in mapping.items():
        _check_entry(source, destination, where)
        parsed = urlparse(source)
        if parsed.scheme.lower() != "s3" or source.startswith("/") or parsed.netloc != bucket:
            continue
        prefix = _full_path(source, parsed).removeprefix("/")
        candidates.append((prefix, urlparse(destination).netloc))
    for prefix, profile in sorted(candidates, key=lambda entry: len(entry[0]), reverse=True):
        if key.startswith(prefix):
            return profile, key[len(prefix) :].removeprefix("/")
    return None


# MSC's schema for path_mapping entries.
_SOURCE = re.compile(r"^(/|[a-z][a-z0-9+.-]*://)[^/].*/$")
_DESTINATION = re.compile(r"^msc://[^/]+/$")


def _check_entry(source: Any, destination: Any, where: str) -> None:
    if not isinstance(source, str) or not _SOURCE.match(source):
        raise ConfigParseError(
            f"{where}: path_mapping source {source!r} must be a URL prefix or absolute path ending in '/', "
            f"such as s3://bucket/prefix/"
        )
    if not isinstance(destination, str) or not _DESTINATION.match(destination):
        raise ConfigParseError(
            f"{where}: path_mapping[{source!r}] must be msc://PROFILE/ (a profile and a trailing '/', no path); "
            f"put a prefix in that profile's base_path"
        )


def _full_path(url: str, parsed: ParseResult) -> str:
    """The path of a parsed URL with the ``?`` and ``#`` parts put back (MSC's build_full_path)."""
    path = parsed.path
    if parsed.query:
        path += "?" + parsed.query
    elif url.endswith("?"):
        path += "?"
    if parsed.fragment:
        path += "#" + parsed.fragment
    return path
