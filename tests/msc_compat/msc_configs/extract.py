"""Rebuild this corpus from a checkout of github.com/NVIDIA/multi-storage-client.

    python tests/msc_compat/msc_configs/extract.py /path/to/multi-storage-client-repo

The committed corpus was taken at MSC commit 712d11fe86b2b6e4d802274712cbb4c930b868b7.

Takes every MSC config found in MSC's docs (YAML/JSON code blocks), its tests
(string literals that parse as a config, dict literals with a "profiles" key) and
its own .msc/config.yaml, and writes each as one YAML file here, named after its
source. Configs that need values only known at run time (f-strings, variables)
are skipped. Not run by the tests: the corpus is committed.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import textwrap
from pathlib import Path

import yaml

HERE = Path(__file__).parent


def _config(candidate: object) -> dict | None:
    if isinstance(candidate, dict) and isinstance(candidate.get("profiles"), dict) and candidate["profiles"]:
        return candidate
    return None


def _parse(text: str) -> dict | None:
    text = textwrap.dedent(text)
    for load in (json.loads, yaml.safe_load):
        try:
            return _config(load(text))
        except (ValueError, yaml.YAMLError):
            continue
    return None


def from_rst(path: Path) -> list[dict]:
    found = []
    blocks = re.split(r"\n\.\. code-block::\s*(\w+)\s*\n", path.read_text())
    for language, body in zip(blocks[1::2], blocks[2::2], strict=True):
        if language not in ("yaml", "json"):
            continue
        lines = []
        for line in body.splitlines():
            if line.strip() and not line.startswith((" ", "\t")):
                break
            if not re.match(r"\s+:[\w-]+:", line):  # directive options such as :caption:
                lines.append(line)
        config = _parse("\n".join(lines))
        if config:
            found.append(config)
    return found


def from_python(path: Path) -> list[dict]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "profiles" in node.value:
            config = _parse(node.value)
        elif isinstance(node, ast.Dict) and any(
            isinstance(k, ast.Constant) and k.value == "profiles" for k in node.keys
        ):
            try:
                config = _config(ast.literal_eval(node))
            except ValueError:
                config = None
        else:
            continue
        if config:
            found.append(config)
    return found


def main(repo: Path) -> None:
    root = repo / "multi-storage-client"
    sources = [(p, from_rst) for p in sorted((repo / "multi-storage-client-docs" / "src").rglob("*.rst"))]
    sources += [(p, from_python) for p in sorted((root / "tests").rglob("*.py"))]
    sources += [(root / ".msc" / "config.yaml", lambda p: [_config(yaml.safe_load(p.read_text()))])]
    for old in HERE.glob("*.yaml"):
        old.unlink()
    seen = set()
    for path, extract in sources:
        for index, config in enumerate(c for c in extract(path) if c):
            key = json.dumps(config, sort_keys=True, default=str)
            if key in seen:
                continue
            seen.add(key)
            name = re.sub(r"[^A-Za-z0-9]+", "-", str(path.relative_to(repo).with_suffix(""))).strip("-")
            for noise in ("multi-storage-client-docs-src-", "multi-storage-client-tests-test-multistorageclient-"):
                name = name.removeprefix(noise)
            target = HERE / f"{name}-{index}.yaml"
            header = f"# From {path.relative_to(repo)} (MSC repository), config {index}.\n"
            target.write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    print(f"{len(seen)} configs written to {HERE}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
