"""`StorageClientConfig`: one profile of an MSC config, checked and with ``${VAR}`` expanded."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import Built, FileCache, stamped, unless_changed
from .config_files import expand_env_vars, find_config_file, load_config_file
from .errors import ConfigNotFoundError, ConfigParseError, UnknownProfileError, UnsupportedProviderError
from .options import SignerType, signer_type_name

# Top-level keys MSC defines. Only `profiles` matters for signing; the rest is tolerated.
MSC_TOP_LEVEL_KEYS = frozenset(
    {"profiles", "include", "cache", "opentelemetry", "path_mapping", "posix", "experimental_features"}
)
# Profile key this library adds (MSC tolerates extra profile keys): per-signer defaults.
PRESIGN_KEY = "presign"


@dataclass(frozen=True)
class StorageClientConfig:
    """What the signer library needs from one MSC profile.

    Build it with :meth:`from_file` (profile name first, as in the MSC docs) or
    :meth:`from_dict`. Secrets in ``credentials_options`` never appear in its repr.
    """

    profile: str
    provider_type: str
    provider_options: Mapping[str, Any] = field(default_factory=dict)
    credentials_type: str | None = None
    credentials_options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    presign: Mapping[str, Any] = field(default_factory=dict, repr=False)
    config_path: Path | None = None
    source_scheme: str = "msc"

    @classmethod
    def from_file(
        cls,
        profile: str,
        *,
        config_file_paths: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    ) -> StorageClientConfig:
        """Load ``profile`` from the MSC config found the way MSC finds it.

        ``config_file_paths`` (one path or several; the first that exists wins)
        overrides discovery, as in MSC.
        """
        path = _choose_config_file(config_file_paths)
        return cls._from_loaded(load_config(path), profile, path)

    @classmethod
    def from_dict(cls, config_dict: Mapping[str, Any], profile: str) -> StorageClientConfig:
        """Build from an already-parsed MSC config mapping (``{"profiles": {...}}``)."""
        if not isinstance(config_dict, Mapping):
            raise ConfigParseError("an MSC config must be a mapping with a 'profiles' key")
        return cls._from_loaded(dict(config_dict), profile, None)

    @classmethod
    def _from_loaded(cls, data: Mapping[str, Any], profile: str, path: Path | None) -> StorageClientConfig:
        return cls.from_profile(profile, profile_entry(data, profile, str(path) if path else "the config"), path)

    @classmethod
    def from_profile(cls, name: str, raw: Any, path: Path | None = None, *, scheme: str = "msc") -> StorageClientConfig:
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
        credentials_type, credentials_options = None, {}
        if raw.get("credentials_provider") is not None:
            credentials_type, credentials_options = _typed_section(
                raw["credentials_provider"], f"{where} credentials_provider"
            )
        return cls(
            profile=name,
            provider_type=provider_type,
            provider_options=provider_options,
            credentials_type=credentials_type,
            credentials_options=credentials_options,
            presign=_presign_section(raw.get(PRESIGN_KEY), where),
            config_path=path,
            source_scheme=scheme,
        )

    def source_url(self, path: str) -> str:
        """The name a user would write for ``path`` under this profile."""
        if self.source_scheme == "s3":
            return f"s3://{self.provider_options.get('base_path', '')}/{path}"
        return f"msc://{self.profile}/{path}"


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


def _choose_config_file(paths: str | os.PathLike | Sequence[str | os.PathLike] | None) -> Path:
    if paths is None:
        return find_config_file()
    candidates = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths]
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
