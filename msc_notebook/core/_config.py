"""`StorageClientConfig`: one profile of an MSC config, checked and with ``${VAR}`` expanded."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._cache import Built, FileCache, stamped, unless_changed
from ._config_files import expand_env_vars, find_config_file, load_config_file, parse_config_text
from ._errors import ConfigNotFoundError, ConfigParseError, UnknownProfileError, UnsupportedProviderError
from ._options import SignerType, signer_type_name

# Top-level keys MSC defines. Only `profiles` matters for signing; the rest is tolerated.
MSC_TOP_LEVEL_KEYS = frozenset(
    {"profiles", "include", "cache", "opentelemetry", "path_mapping", "posix", "experimental_features"}
)
# Profile key this library adds (MSC tolerates extra profile keys): per-signer defaults.
PRESIGN_KEY = "presign"
# MSC's default profile (local files), used when no profile is named.
DEFAULT_PROFILE = "__filesystem__"
# MSC's credentials type for a JSON file in the AWS credential_process format: clients built
# from such a profile are rebuilt when the file changes.
FILE_CREDENTIALS = "FileBasedCredentials"


@dataclass(frozen=True)
class StorageClientConfig:
    """What the signer library needs from one MSC profile.

    Build it the ways MSC does: :meth:`from_file`, :meth:`from_yaml`,
    :meth:`from_json`, :meth:`from_dict`. Secrets in ``credentials_options`` never
    appear in its repr.
    """

    profile: str
    provider_type: str
    provider_options: Mapping[str, Any] = field(default_factory=dict)
    credentials_type: str | None = None
    credentials_options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    presign: Mapping[str, Any] = field(default_factory=dict, repr=False)
    config_path: Path | None = None
    # What a user wrote for this profile's paths: "msc://PROFILE/" unless reached from s3://.
    source_prefix: str | None = None
    metadata_provider: str | None = None  # its type ("manifest", ...): the profile's paths are logical

    @classmethod
    def from_file(
        cls,
        profile_or_paths: str | Iterable[str | os.PathLike] | os.PathLike | None = None,
        profile_after_paths: str | None = None,
        /,
        *,
        profile: str | None = None,
        config_file_paths: str | os.PathLike | Iterable[str | os.PathLike] | None = None,
        telemetry_provider: Any = None,
    ) -> StorageClientConfig:
        """Load a profile from the MSC config found the way MSC finds it.

        Both argument orders work: ours, ``from_file("p", config_file_paths=[...])``
        (profile first), and MSC's, ``from_file(config_file_paths=[...], profile="p")``
        or ``from_file([...], "p")``. ``config_file_paths`` (one path or several;
        the first that exists wins) overrides discovery. Without a profile, MSC's
        default ``__filesystem__`` profile; ``_s3-BUCKET`` is MSC's implicit profile
        for a bucket. ``telemetry_provider`` is accepted for MSC code and unused.
        """
        del telemetry_provider  # no telemetry here; accepted so MSC calls run unchanged
        if isinstance(profile_or_paths, str):
            names = [profile_or_paths, profile_after_paths, profile]
            paths = config_file_paths
        else:
            names = [profile_after_paths, profile]
            if profile_or_paths is not None and config_file_paths is not None:
                raise TypeError("from_file() got config_file_paths twice (positionally and by keyword)")
            paths = profile_or_paths if profile_or_paths is not None else config_file_paths
        given = [name for name in names if name is not None]
        if len(given) > 1:
            raise TypeError("from_file() got the profile twice; pass it once (first, or as profile=...)")
        name = given[0] if given else DEFAULT_PROFILE
        try:
            path: Path | None = _choose_config_file(paths)
        except ConfigNotFoundError:
            if implicit_profile(name) is None:
                raise
            path = None  # MSC's implicit profiles need no config file
        data = load_config(path) if path else {}
        if name not in profiles_of(data, str(path or "the config")) and implicit_profile(name) is not None:
            return cls.from_profile(name, implicit_profile(name), path)
        return cls._from_loaded(data, name, path)

    @classmethod
    def from_yaml(cls, config_yaml: str, profile: str = DEFAULT_PROFILE, telemetry_provider: Any = None) -> StorageClientConfig:
        """Build from the text of a YAML config, as MSC's ``from_yaml``."""
        return cls.from_dict(parse_config_text(_text(config_yaml), "yaml", "the YAML config"), profile)

    @classmethod
    def from_json(cls, config_json: str, profile: str = DEFAULT_PROFILE, telemetry_provider: Any = None) -> StorageClientConfig:
        """Build from the text of a JSON config, as MSC's ``from_json``."""
        return cls.from_dict(parse_config_text(_text(config_json), "json", "the JSON config"), profile)

    @classmethod
    def from_dict(
        cls,
        config_dict: Mapping[str, Any],
        profile: str = DEFAULT_PROFILE,
        skip_validation: bool = False,
        telemetry_provider: Any = None,
    ) -> StorageClientConfig:
        """Build from an already-parsed MSC config mapping (``{"profiles": {...}}``).

        As in MSC, ``profile`` defaults to ``__filesystem__`` (local files, which
        cannot presign) and ``include`` is not followed. ``skip_validation`` and
        ``telemetry_provider`` are accepted for MSC code; checks always run.
        """
        if not isinstance(config_dict, Mapping):
            raise ConfigParseError("an MSC config must be a mapping with a 'profiles' key")
        return cls._from_loaded(dict(config_dict), profile, None)

    @classmethod
    def _from_loaded(cls, data: Mapping[str, Any], profile: str, path: Path | None) -> StorageClientConfig:
        where = str(path) if path else "the config"
        profiles = profiles_of(data, where)
        if DEFAULT_PROFILE in profiles and profiles[DEFAULT_PROFILE] != implicit_profile(DEFAULT_PROFILE):
            raise ConfigParseError(f"{where}: the {DEFAULT_PROFILE!r} profile is MSC's own; it cannot be redefined")
        if profile == DEFAULT_PROFILE and profile not in profiles:
            return cls.from_profile(profile, implicit_profile(profile), path)
        return cls.from_profile(profile, profile_entry(data, profile, where), path)

    @classmethod
    def from_profile(
        cls, name: str, raw: Any, path: Path | None = None, *, source_prefix: str | None = None
    ) -> StorageClientConfig:
        """Check one (already expanded) profile mapping and build the config."""
        where = f"profile {name!r}"
        if not isinstance(raw, Mapping):
            raise ConfigParseError(f"{where} must be a mapping with a 'storage_provider'")
        if "storage_provider" not in raw:
            if "provider_bundle" in raw or "storage_provider_profiles" in raw:
                raise UnsupportedProviderError(
                    f"{where} is built from a provider bundle or several providers; presigning "
                    f"needs a profile with a single 'storage_provider'"
                )
            raise ConfigParseError(f"{where} has no 'storage_provider' (type and options)")
        provider_type, provider_options = _typed_section(raw["storage_provider"], f"{where} storage_provider")
        credentials_type: str | None = None
        credentials_options: dict[str, Any] = {}
        if raw.get("credentials_provider") is not None:
            credentials_type, credentials_options = _typed_section(
                raw["credentials_provider"], f"{where} credentials_provider"
            )
        metadata_type = None
        if raw.get("metadata_provider"):  # MSC ignores an empty one too
            metadata_type, _ = _typed_section(raw["metadata_provider"], f"{where} metadata_provider")
        return cls(
            profile=name,
            provider_type=provider_type,
            provider_options=provider_options,
            credentials_type=credentials_type,
            credentials_options=credentials_options,
            presign=_presign_section(raw.get(PRESIGN_KEY), where),
            config_path=path,
            source_prefix=source_prefix,
            metadata_provider=metadata_type,
        )

    def source_url(self, path: str) -> str:
        """The name a user would write for ``path`` under this profile."""
        return (self.source_prefix or f"msc://{self.profile}/") + path

    def check_signable(self) -> None:
        """Refuse, before any URL, a profile whose paths do not name the objects to sign.

        With a metadata provider (MSC's manifests) a path is a logical name that the
        manifest maps to another object key; MSC signs GET/HEAD for the mapped key
        and refuses PUT. Until the manifest is read here, signing the logical path
        would hand out a URL for the wrong object, so every method is refused.
        """
        if self.metadata_provider is not None:
            raise UnsupportedProviderError(
                f"profile {self.profile!r} has a metadata_provider ({self.metadata_provider}): its paths are "
                f"logical names that the manifest maps to other object keys, which msc_notebook does not read, "
                f"so a URL for the path would name the wrong object. Sign the physical key through a profile "
                f"on the same storage without metadata_provider"
            )


# MSC's implicit profiles: "_PROTOCOL-BUCKET" for a bucket no profile names.
_IMPLICIT_PROVIDER_TYPES = {"s3": "s3", "gs": "gcs", "ais": "ais", "file": "file"}


def implicit_profile(name: str) -> dict[str, Any] | None:
    """The profile MSC makes up for ``name`` when no config defines it, or None."""
    if name == DEFAULT_PROFILE:
        return {"storage_provider": {"type": "file", "options": {"base_path": "/"}}}
    protocol, dash, bucket = name[1:].partition("-")
    if name.startswith("_") and dash and bucket and protocol in _IMPLICIT_PROVIDER_TYPES:
        return {"storage_provider": {"type": _IMPLICIT_PROVIDER_TYPES[protocol], "options": {"base_path": bucket}}}
    return None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigParseError(f"expected the config's text as a string, got {type(value).__name__}")
    return value


def profile_entry(data: Mapping[str, Any], profile: str, where: str) -> Any:
    """One profile of a loaded config, with ``${VAR}`` expanded; unknown names list the known."""
    profiles = profiles_of(data, where)
    if profile not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise UnknownProfileError(f"profile {profile!r} is not in {where}; known profiles: {known}")
    return expand_env_vars(profiles[profile], f"profiles.{profile}")


def load_profiles(path: Path | None = None) -> tuple[Path, Mapping[str, Any]]:
    """The config file (the given one, or the one MSC would find) and its profiles, unexpanded."""
    path = path or find_config_file()
    return path, profiles_of(load_config(path), str(path))


def profiles_of(data: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """The ``profiles`` mapping of a loaded config, after checking its top-level keys."""
    unknown = sorted(set(data) - MSC_TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigParseError(
            f"{where}: unknown top-level key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}; an MSC config has {', '.join(sorted(MSC_TOP_LEVEL_KEYS))}"
        )
    profiles = data.get("profiles") or {}
    if not isinstance(profiles, Mapping):
        raise ConfigParseError(f"{where}: 'profiles' must map profile names to profiles")
    return profiles


def _presign_section(section: Any, where: str) -> Mapping[str, Any]:
    """The profile's ``presign`` defaults: ``signer_type`` and one mapping of options per signer type."""
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise ConfigParseError(f"{where}: '{PRESIGN_KEY}' must be a mapping of signer type to options")
    signer_types = [t.value for t in SignerType]
    for key, value in section.items():
        if key == "signer_type":
            signer_type_name(value)
        elif key not in signer_types:
            raise ConfigParseError(
                f"{where}: {PRESIGN_KEY}.{key} is not a signer type; use signer_type, {', '.join(signer_types)}"
            )
        elif not isinstance(value, Mapping):
            raise ConfigParseError(f"{where}: {PRESIGN_KEY}.{key} must map option names to values")
    return section


def _typed_section(section: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(section, Mapping) or not isinstance(section.get("type"), str):
        raise ConfigParseError(f"{where} needs a 'type' (and usually 'options')")
    options = section.get("options") or {}
    if not isinstance(options, Mapping):
        raise ConfigParseError(f"{where} options must be a mapping")
    return section["type"], dict(options)


def _choose_config_file(paths: str | os.PathLike | Iterable[str | os.PathLike] | None) -> Path:
    candidates = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths or ()]
    if not candidates:  # as MSC: no paths (None or empty) means the usual search
        return find_config_file()
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise ConfigNotFoundError(
        "none of the given MSC config files exists: " + ", ".join(str(p) for p in candidates)
    )


_configs: FileCache[Mapping[str, Any]] = FileCache()


def load_config(path: Path) -> Mapping[str, Any]:
    """The parsed config at ``path`` (not yet expanded), re-read only when it or a file
    it includes changes: signing in a loop must not re-parse YAML each time."""

    def build() -> Built[Mapping[str, Any]]:
        main = stamped(path)  # before reading: an edit during the read is seen next time
        data, sources = load_config_file(path)
        return Built(data, [unless_changed(main), *(stamped(source) for source in sources[1:])])

    return _configs.get(path, build)


def clear_config_cache() -> None:
    _configs.clear()
