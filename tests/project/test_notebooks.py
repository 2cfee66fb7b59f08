"""Every notebook in notebooks/ runs top to bottom against the demo services, without errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.azurite import azurite_executable
from support.notebooks import execute, problems, text_of

from msc_notebook.demo.environment import DemoEnvironment

# nbformat and nbclient are imported where they are used: nbformat's schema validator takes
# about 2 s to import, and `pytest -m "not e2e"` still imports this module to collect it.

pytestmark = pytest.mark.e2e  # slow: browser, Jupyter, notebooks, the demo, Binder or npm

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def demo_environment(tmp_path_factory):
    """The demo, with its Azure part (tests/js's Azurite on PATH, as `npm install -g` would put it)."""
    azurite_bin = str(Path(azurite_executable()).parent)
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{azurite_bin}{os.pathsep}{path}"
    try:
        with DemoEnvironment.start(tmp_path_factory.mktemp("demo")) as env:
            assert env.azurite is not None
            yield env
    finally:
        os.environ["PATH"] = path








@pytest.fixture
def kernel_env(demo_environment, isolated_env):
    return {**os.environ, **demo_environment.environ()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_clean(path, kernel_env, tmp_path):
    notebook = execute(path, kernel_env, tmp_path)
    assert problems(notebook) == []
    text = text_of(notebook)
    expected = {
        "quickstart": ["b'Hello from msc_notebook!", "200", "written through a presigned PUT URL", "sepal_length",
                       "from GCS: 200", "msc-demo@msc-demo-project.iam.gserviceaccount.com"],
        "sharing-zarr": ["Ocean sample (synthetic)", "(24, 48) float32", "outside the prefix: 403",
                         "from GCS: (24, 48) gcs", "the link: works", "its manifest is deleted",
                         "from Azure: (24, 48)", "every URL of the share, the link included, is refused",
                         "revoked Azure share: 403",
                         " objects, ", "another object with this signature: 403", "ocean-share.json"],
        "temporary-credentials": ["used right away: 200", "the URL itself claims: 3600 seconds",
                                  "it really works for:   0:00:1", "after the countdown: 403 InvalidAccessKeyId",
                                  "CredentialExpiryWarning", "False None"],
    }[path.stem]  # fmt: skip
    for snippet in expected:
        assert snippet in text, snippet


def test_notebooks_are_committed_without_outputs():
    import nbformat

    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        assert all(not cell.get("outputs") and not cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code")
