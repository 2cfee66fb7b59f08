"""The rules that keep the package's shape, read from the source (every import, at any depth):

- imports point down: core/ <- the backends (s3/, cloudfront/, azure/) <- shares/ <- the
  top-level modules (the client, the request, the shortcuts) <- frontends/;
- the library (all but frontends/ and demo/) never imports argparse, IPython, ipywidgets,
  anywidget or traitlets, and its messages never name a flag or a magic;
- the front ends use the library through ``msc_notebook`` alone;
- every public name is in ``__all__``, in the table that imports it on first use, and in
  the type checkers' imports, and each one resolves.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import msc_notebook

PACKAGE = Path(msc_notebook.__file__).parent
FRONT_END_ONLY = ("argparse", "IPython", "ipywidgets", "anywidget", "traitlets")
LAYERS = {"core": 0, "s3": 1, "cloudfront": 1, "azure": 1, "gcs": 1, "shares": 2, "top": 3, "frontends": 4}
FLAG_OR_MAGIC = re.compile(r"(?<![\w-])--[a-z]|%presign")


def modules() -> list[tuple[str, Path, ast.Module]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(["msc_notebook", *parts]).removesuffix(".__init__")
        found.append((name, path, ast.parse(path.read_text())))
    return found


def imported(name: str, tree: ast.Module) -> set[str]:
    """Every module ``name`` imports at run time, absolute, wherever the import statement is."""
    package = name if name.count(".") == 0 else name.rsplit(".", 1)[0]
    if (PACKAGE / "/".join(name.split(".")[1:]) / "__init__.py").exists():
        package = name  # a package's own relative imports start from itself
    type_only = {
        id(inner) for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for statement in node.body for inner in ast.walk(statement)
    }  # fmt: skip
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue  # a type checker's reference, not a dependency at run time
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            else:
                found.add(node.module or "")
    return found


ENTRY_POINTS = ("msc_notebook", "msc_notebook.__main__")  # the package (and %load_ext), python -m


def layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "msc_notebook" or module in ENTRY_POINTS:
        return None
    if parts[1] == "demo":
        return "demo"
    return parts[1] if parts[1] in LAYERS else "top"


LIBRARY = [(name, path, tree) for name, path, tree in modules() if layer(name) not in (None, "frontends", "demo")]


@pytest.mark.parametrize(("name", "path", "tree"), LIBRARY, ids=[name for name, _, _ in LIBRARY])
def test_the_library_imports_no_front_end_and_only_points_down(name, path, tree):
    imports = imported(name, tree)
    assert not {m for m in imports if m.split(".")[0] in FRONT_END_ONLY}
    mine = LAYERS[layer(name)]
    upward = {m for m in imports if layer(m) not in (None, "demo") and LAYERS[layer(m)] > mine}
    assert not upward, f"{name} imports from above it: {sorted(upward)}"
    assert not {m for m in imports if layer(m) == "demo"}


FRONT_ENDS = [(name, path, tree) for name, path, tree in modules() if layer(name) == "frontends"]


@pytest.mark.parametrize(("name", "path", "tree"), FRONT_ENDS, ids=[name for name, _, _ in FRONT_ENDS])
def test_the_front_ends_use_the_library_through_msc_notebook_alone(name, path, tree):
    private = {m for m in imported(name, tree) if layer(m) not in (None, "frontends", "demo")}
    allowed = {"msc_notebook.testing"}
    assert not private - allowed, f"{name} reaches into the library: {sorted(private - allowed)}"


NOT_FLAGS = {"--x-s3", "--table-s3"}  # S3 directory- and table-bucket name suffixes


def commands_for_other_programs(tree: ast.Module) -> set[int]:
    """The strings that are commands or scripts for other programs (curl's, azcopy's flags are
    theirs, not ours): in a function named ``curl`` or ``*_command`` / ``*_script``, or a
    module-level ``*_SCRIPT`` template."""
    holders: list[ast.AST] = [
        node for node in ast.walk(tree)
        if (isinstance(node, ast.FunctionDef) and (node.name == "curl" or node.name.endswith(("_command", "_script"))))
        or (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.endswith("_SCRIPT") for t in node.targets))
    ]  # fmt: skip
    return {id(inner) for holder in holders for inner in ast.walk(holder)}


def messages(tree: ast.Module) -> list[str]:
    """Every string the module holds but its docstrings and its commands for other programs:
    f-strings joined, so a message is whole."""
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body
        and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }  # fmt: skip
    skipped = docstrings | commands_for_other_programs(tree)
    inside_fstrings = {id(piece) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for piece in node.values}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.JoinedStr):
            found.append("".join(p.value for p in node.values if isinstance(p, ast.Constant)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in inside_fstrings and node.value not in NOT_FLAGS:
                found.append(node.value)
    return found


@pytest.mark.parametrize(("name", "path", "tree"), LIBRARY, ids=[name for name, _, _ in LIBRARY])
def test_library_messages_name_fields_not_flags_or_magics(name, path, tree):
    assert not [text for text in messages(tree) if FLAG_OR_MAGIC.search(text)]


def test_the_message_rule_can_fail():
    tree = ast.parse('def f():\n    """--doc is fine"""\n    raise ValueError(f"use --download-as {x}")\nwarn("see %presign")\n'
                     'def curl():\n    return "curl --fail"\nUPLOAD_SCRIPT = "x --y"')
    assert [bool(FLAG_OR_MAGIC.search(text)) for text in messages(tree)] == [True, True]


def test_every_public_name_is_listed_imported_on_first_use_and_typed():
    init = ast.parse((PACKAGE / "__init__.py").read_text())
    typed = set()
    for node in ast.walk(init):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            typed |= {alias.asname or alias.name for item in node.body for alias in getattr(item, "names", [])}
    assert set(msc_notebook.__all__) == set(msc_notebook._PUBLIC) | {"__version__"} == typed | {"__version__"}
    for name in msc_notebook.__all__:
        assert getattr(msc_notebook, name) is not None
