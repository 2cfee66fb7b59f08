"""A notebook executed headless (nbclient, a real kernel) against SeaweedFS, and its static
renderings: nbconvert HTML (no widgets) still shows the link and the absolute expiry."""

from __future__ import annotations

import os

import pytest
from conftest import BUCKET, seaweed_profile
from support.http_client import fetch

# nbformat and nbclient are imported where they are used: nbformat's schema validator takes
# about 2 s to import, and `pytest -m "not e2e"` still imports this module to collect it.

pytestmark = pytest.mark.e2e  # slow: browser, Jupyter, notebooks, the demo, Binder or npm

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def executed(seaweedfs, write_config, s3, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    write_config({"demo": seaweed_profile(seaweedfs)})
    s3.put_object(Bucket=BUCKET, Key="nb/hello.txt", Body=b"from a headless notebook")
    cells = [
        "%load_ext msc_notebook",
        "%presign msc://demo/nb/hello.txt -e 20m",
        "put = %presign msc://demo/nb/upload.bin -m PUT",
        "%presign msc://demo/nb/<b>bold</b>.txt",
        "print(put.method, put.expires_in)",
        "%presign msc://missing/x",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute(env=dict(os.environ))
    return notebook


def test_outputs_of_a_real_kernel(executed):
    cells = executed.cells
    assert cells[0].outputs == []
    get_outputs = cells[1].outputs
    assert [o.output_type for o in get_outputs] == ["display_data"]  # shown once, no execute_result
    data = get_outputs[0].data
    assert WIDGET in data and "text/html" in data and "text/plain" in data
    url = next(line for line in data["text/plain"].splitlines() if line.startswith("http"))
    assert fetch(url).content == b"from a headless notebook"
    assert "Valid until" in data["text/html"] and "UTC" in data["text/html"]
    assert "curl --fail --upload-file upload.bin" in cells[2].outputs[0].data["text/plain"]
    assert "<b>" not in cells[3].outputs[0].data["text/html"] and "&lt;b&gt;bold&lt;/b&gt;" in cells[3].outputs[0].data["text/html"]
    assert cells[4].outputs[0].text == "PUT 3600\n"
    (error,) = cells[5].outputs  # one short message on stderr, not a traceback
    assert error.output_type == "stream" and error.name == "stderr"
    assert error.text.startswith("UsageError: profile 'missing' is not in") and error.text.count("\n") == 1


def test_nbconvert_html_keeps_the_link_and_expiry(executed):
    """Saved without widget state (JupyterLab's default), nbconvert falls back to our HTML."""
    import copy

    from nbconvert import HTMLExporter

    saved = copy.deepcopy(executed)
    saved.metadata.pop("widgets", None)
    html, _ = HTMLExporter().from_notebook_node(saved)
    text = executed.cells[1].outputs[0].data["text/plain"]
    url = next(line for line in text.splitlines() if line.startswith("http"))
    assert f'href="{url.replace("&", "&amp;")}"' in html
    assert "Valid until" in html
