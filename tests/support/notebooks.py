"""Running a notebook the way Jupyter does (nbclient) and reading what it printed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

# nbformat and nbclient are imported where they are used: nbformat's schema validator takes
# about 2 s to import, and `pytest -m "not e2e"` still imports the test modules to collect them.


def execute(path: Path, env: dict[str, str], workdir: Path) -> nbformat.NotebookNode:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(workdir)}})
    client.execute(env=env)
    return notebook


def problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Error outputs, and anything on stderr (a UsageError is one line there)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"cell {index}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                found.append(f"cell {index}: stderr: {output.text.strip()[:200]}")
    return found


def text_of(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)
