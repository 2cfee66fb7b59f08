"""Finding and reading MSC config files: discovery order, YAML/JSON, ``include``, ``${VAR}``.

The discovery order is MSC's own, so a config an MSC user already has is found
where MSC finds it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import ConfigNotFoundError, ConfigParseError, MissingEnvironmentVariableError

if TYPE_CHECKING:
    from yaml import CSafeLoader, SafeLoader

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
    explicit = env.get(CONFIG_ENV_VAR)
    if explicit and os.path.isfile(explicit):  # the common case, on every signing: one stat
        return _absolute(explicit)
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


@functools.lru_cache(maxsize=64)
def _absolute(path: str) -> Path:
    return Path(path).absolute()  # not resolve(): it stats every component


def referenced_variables(value: Any) -> frozenset[str]:
    """The names of the environment variables that `expand_env_vars` would read in ``value``."""
    if isinstance(value, dict):
        return frozenset().union(*map(referenced_variables, value.values()))
    if isinstance(value, list):
        return frozenset().union(*map(referenced_variables, value))
    if not isinstance(value, str) or "$" not in value:
        return frozenset()
    return frozenset(name[1:-1] if name.startswith("{") else name for name in _EXPANDVARS.findall(value))


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse one config file (JSON if it ends in .json, YAML otherwise), without expansion."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigParseError(f"cannot read MSC config {path}: {exc.strerror or exc}") from None
    return parse_config_text(text, "json" if path.suffix == ".json" else "yaml", str(path))


def parse_config_text(text: str, syntax: str, where: str) -> dict[str, Any]:
    """Parse the text of a config (``syntax`` "yaml" or "json") into its top-level mapping.

    Errors name the place, line and column and what to fix, never the text there:
    a config's values include secrets, and parser messages quote them.
    """
    import yaml  # here, not at the top: PyYAML costs a third of `%load_ext msc_notebook`

    try:
        data = json.loads(text) if syntax == "json" else yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (safe loader)
    except json.JSONDecodeError as exc:
        raise ConfigParseError(
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigParseError(f"{where} is not valid YAML{_yaml_place(exc, text)}: {_yaml_fix(exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigParseError(f"{where} must hold a mapping with a 'profiles' key at the top level")
    return data


def _yaml_loader() -> type[SafeLoader | CSafeLoader]:
    """libyaml's safe loader where it is installed (2.5x faster on large configs), else pyyaml's own."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# What to fix, by the parser's problem. Only fixed words: pyyaml's own text quotes
# the value at fault (an alias name, a tag, a character), which may be a secret.
_YAML_FIXES = (
    ("undefined alias", "a value starts with '*', which YAML reads as an alias; quote the value"),
    ("constructor for the tag", "a value starts with '!', which YAML reads as a tag; quote the value"),
    ("cannot start any token", "a value starts with a character YAML reserves (such as @, ` or %) or a "
                               "tab indents a line; quote the value, indent with spaces"),
    ("mapping values are not allowed", "an unquoted value holds ': '; quote the value"),
    ("found duplicate anchor", "an anchor (&name) is defined twice; quote values that start with '&'"),
    ("escape character", "a double-quoted value holds an unknown backslash escape; use single quotes"),
    ("expected <block end>", "the indentation is inconsistent; align keys of one mapping"),
    ("could not find expected ':'", "a key has no ':' after it, or a quoted value is not closed"),
    ("unhashable key", "a key is a list or a mapping; a key must be plain text"),
    ("for merging", "'<<' merges mappings into this one; give it a mapping, or quote the key"),
    ("while scanning a quoted scalar", "a quoted value is not closed; close the quote"),
)  # fmt: skip


def _yaml_place(exc: Exception, text: str) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f" at line {mark.line + 1}, column {mark.column + 1}"
    position = getattr(exc, "position", None)
    if isinstance(position, int):  # a ReaderError: a character YAML does not allow
        before = text[:position]
        return f" at line {before.count(chr(10)) + 1}, column {position - before.rfind(chr(10))}"
    return ""


def _yaml_fix(exc: Exception) -> str:
    from yaml.reader import ReaderError

    if isinstance(exc, ReaderError):
        return "a control character YAML does not allow; remove it or write it as an escape in double quotes"
    text = " ".join(filter(None, (getattr(exc, "context", None), getattr(exc, "problem", None)))) or str(exc)
    for needle, fix in _YAML_FIXES:
        if needle in text:
            return fix
    return "a syntax error; check the quoting and indentation there (values holding : # * & ! need quotes)"


def load_config_file(path: Path) -> tuple[dict[str, Any], list[Path]]:
    """Read a config and merge the files its ``include`` list names (one level, as MSC).

    As in MSC, a profile or path_mapping entry may appear in several files if it is
    identical in each. Returns the merged config and every file it was read from.
    """
    data = read_config_file(path)
    sources = [path]
    includes = data.pop("include", None) or []
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        raise ConfigParseError(f"{path}: 'include' must be a list of file paths")
    for entry in includes:
        included_path = (path.parent / expand_env_vars(str(entry), f"{path}: include")).resolve()
        if not included_path.is_file():
            raise ConfigParseError(f"{path}: included file {included_path} does not exist")
        included = read_config_file(included_path)
        if "include" in included:
            raise ConfigParseError(f"{included_path}: an included file cannot include others (MSC allows one level)")
        sources.append(included_path)
        for key, value in included.items():
            if key in _MERGED_BY_ENTRY:
                data[key] = _merge_entries(key, data.get(key), value, path, included_path)
            else:
                data.setdefault(key, value)
    return data, sources


_MERGED_BY_ENTRY = ("profiles", "path_mapping")


def _merge_entries(key: str, base: Any, new: Any, path: Path, included_path: Path) -> dict[str, Any]:
    for where, section in ((path, base), (included_path, new)):
        if section is not None and not isinstance(section, dict):
            raise ConfigParseError(f"{where}: '{key}' must be a mapping")
    merged = dict(base or {})
    for name, entry in (new or {}).items():
        if name in merged and merged[name] != entry:
            raise ConfigParseError(
                f"{key} entry {name!r} is defined differently in {path} and {included_path}; keep one"
            )
        merged[name] = entry
    return merged


# os.path.expandvars (POSIX), which MSC applies to every string of the config:
# a set variable is replaced, anything else (``$$``, ``$5``, an unset name) is kept.
_EXPANDVARS = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)
# MSC's check on the result: what still reads as a variable is an error.
_UNRESOLVED = re.compile(r"\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*")
# Values whose text must never reach a message: a "$" inside one is part of the secret.
_SECRET_FIELDS = ("secret_key", "session_token", "access_key", "password", "token")


def expand_env_vars(value: Any, where: str, environ: Mapping[str, str] | None = None) -> Any:
    """Expand ``${VAR}`` and ``$VAR`` in every string of ``value`` exactly as MSC does.

    That is ``os.path.expandvars``, then an error if anything still reads as a
    variable. So ``$$`` stays ``$$`` and ``$5`` stays ``$5`` (MSC has no escape for
    a literal ``$``), and a variable's own value is not expanded again but must not
    look like a variable either. The error names the variable and where it is used,
    except in secret fields, where the "variable" may be a piece of the secret.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, dict):
        return {k: expand_env_vars(v, f"{where}.{k}", env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env_vars(v, f"{where}[{i}]", env) for i, v in enumerate(value)]
    if not isinstance(value, str) or "$" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        name = name[1:-1] if name.startswith("{") else name
        return env.get(name, match.group(0))

    expanded = _EXPANDVARS.sub(substitute, value)
    unresolved = _UNRESOLVED.search(expanded)
    if unresolved is None:
        return expanded
    if where.rsplit(".", 1)[-1].endswith(_SECRET_FIELDS):
        raise MissingEnvironmentVariableError(
            f"{where} refers to an environment variable that is not set (MSC reads $NAME and ${{NAME}} in a value "
            f"as one, and has no escape for a literal $); set it, or keep a secret with such a $ in a "
            f"FileBasedCredentials file"
        )
    name = unresolved.group(0).strip("${}")
    raise MissingEnvironmentVariableError(
        f"the MSC config uses ${{{name}}} in {where}, but the environment variable {name} is not set; "
        f"set it (export {name}=...) or put the value in the config"
    )
