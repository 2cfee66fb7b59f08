"""Finding and reading MSC config files: discovery order, YAML/JSON, ``include``, ``${VAR}``.

The discovery order is MSC's own, so a config an MSC user already has is found
where MSC finds it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigNotFoundError, ConfigParseError, MissingEnvironmentVariableError

CONFIG_ENV_VAR = "MSC_CONFIG"
_SUFFIXES = (".yaml", ".json")


def config_search_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where MSC looks for its config, in order; the first that exists wins."""
    return list(_candidates(os.environ if environ is None else environ))


def _candidates(env: Mapping[str, str]) -> Iterator[Path]:
    # A generator, so the common case ($MSC_CONFIG set) stats one path and stops.
    if env.get(CONFIG_ENV_VAR):
        yield Path(env[CONFIG_ENV_VAR])
    stems = []
    if env.get("XDG_CONFIG_HOME"):
        stems.append(Path(env["XDG_CONFIG_HOME"]) / "msc" / "config")
    home = Path(env.get("HOME") or Path.home())
    stems += [home / ".msc_config", home / ".config" / "msc" / "config"]
    stems += [Path(d) / "msc" / "config" for d in (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":") if d]
    stems.append(Path("/etc/msc_config"))
    for stem in stems:
        for suffix in _SUFFIXES:
            yield stem.with_name(stem.name + suffix)


def find_config_file(environ: Mapping[str, str] | None = None) -> Path:
    """The config file MSC would use, or an error listing every path searched."""
    env = os.environ if environ is None else environ
    for path in _candidates(env):
        if path.is_file():
            return path.absolute()  # not resolve(): it stats every component, on every call
    hint = ""
    if env.get(CONFIG_ENV_VAR):
        hint = f" (${CONFIG_ENV_VAR} is set to {env[CONFIG_ENV_VAR]!r}, which does not exist)"
    listing = "\n  ".join(str(p) for p in _candidates(env))
    raise ConfigNotFoundError(
        f"no MSC config file found{hint}. Create one at ~/.msc_config.yaml or point "
        f"${CONFIG_ENV_VAR} at one. Searched:\n  {listing}"
    )


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse one config file (JSON if it ends in .json, YAML otherwise), without expansion."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigParseError(f"cannot read MSC config {path}: {exc.strerror or exc}") from None
    if path.suffix != ".json":
        data = _parse_yaml(path, text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigParseError(
                f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigParseError(f"{path} must hold a mapping with a 'profiles' key at the top level")
    return data


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml  # here, not at the top: PyYAML costs a third of `%load_ext msc_notebook`

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigParseError(f"{path} is not valid YAML: {problem}{where}") from None


def load_config_file(path: Path) -> tuple[dict[str, Any], list[Path]]:
    """Read a config and merge the files its ``include`` list names (one level, as MSC).

    Returns the merged config and every file it was read from.
    """
    data = read_config_file(path)
    sources = [path]
    includes = data.pop("include", None) or []
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        raise ConfigParseError(f"{path}: 'include' must be a list of file paths")
    if not includes:
        return data, sources
    profiles = data.get("profiles") or {}
    if not isinstance(profiles, dict):
        raise ConfigParseError(f"{path}: 'profiles' must map profile names to profiles")
    profiles = dict(profiles)
    for entry in includes:
        included_path = (path.parent / expand_env_vars(str(entry), f"{path}: include")).resolve()
        if not included_path.is_file():
            raise ConfigParseError(f"{path}: included file {included_path} does not exist")
        included = read_config_file(included_path)
        sources.append(included_path)
        included_profiles = included.get("profiles") or {}
        if not isinstance(included_profiles, dict):
            raise ConfigParseError(f"{included_path}: 'profiles' must map profile names to profiles")
        for name, profile in included_profiles.items():
            if name in profiles:
                raise ConfigParseError(
                    f"profile {name!r} is defined in both {path} and {included_path}; keep one"
                )
            profiles[name] = profile
        for key, value in included.items():
            if key != "profiles":
                data.setdefault(key, value)
    data["profiles"] = profiles
    return data, sources


_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")
# Values whose text must never reach a message: a "$" inside one is part of the secret.
_SECRET_FIELDS = ("secret_key", "session_token", "access_key", "password", "token")


def expand_env_vars(value: Any, where: str, environ: Mapping[str, str] | None = None) -> Any:
    """Replace ``${VAR}`` and ``$VAR`` in every string of ``value``; ``$$`` is a literal ``$``.

    A variable that is not set is an error naming it and where it is used (MSC
    would fail too, with a less helpful message) - except in secret fields, where
    the "variable" may be a piece of the secret: there only the field is named.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, dict):
        return {k: expand_env_vars(v, f"{where}.{k}", env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env_vars(v, f"{where}[{i}]", env) for i, v in enumerate(value)]
    if not isinstance(value, str) or "$" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") if match.group("braced") is not None else match.group("plain")
        if name in env:
            return env[name]
        if where.rsplit(".", 1)[-1].endswith(_SECRET_FIELDS):
            raise MissingEnvironmentVariableError(
                f"{where} refers to an environment variable that is not set; set it, or write $$ for a "
                f"literal $ in the value"
            )
        raise MissingEnvironmentVariableError(
            f"the MSC config uses ${{{name}}} in {where}, but the environment variable "
            f"{name} is not set; set it (export {name}=...), put the value in the config, or write $$ for a literal $"
        )

    return _VARIABLE.sub(substitute, value)
