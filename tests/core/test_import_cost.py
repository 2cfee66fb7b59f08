"""`import msc_notebook` and `%load_ext msc_notebook` stay cheap: botocore and cryptography
load only to sign, PyYAML only to read a config, widgets only to show one, and the Azure SDK
only for an azure profile.
(The timing goal, at most 0.1x `import boto3`, is in tests/benchmarks/bench_load_ext.py.)"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("boto3", "botocore", "cryptography", "yaml", "ipywidgets", "anywidget")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return set(out.stdout.split())


def test_import_does_not_load_heavy_libraries():
    loaded = _modules_after("import msc_notebook")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_load_ext_does_not_load_heavy_libraries():
    loaded = _modules_after(
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().run_line_magic('load_ext', 'msc_notebook')"
    )
    assert "msc_notebook.frontends.notebook._magics" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
    library = ("msc_notebook._request", "msc_notebook._client", "msc_notebook.core._config", "msc_notebook.s3",
               "msc_notebook.cloudfront._signer", "msc_notebook.azure", "msc_notebook.shares")  # fmt: skip
    assert not {m for m in loaded if m.startswith(library)}  # the first %presign imports what it uses


def test_signing_loads_botocore_only_then():
    loaded = _modules_after(
        "import msc_notebook as msc\n"
        "c = msc.StorageClientConfig.from_dict({'profiles': {'p': {'storage_provider': {'type': 's3', "
        "'options': {'base_path': 'bkt'}}, 'credentials_provider': {'type': 'S3Credentials', "
        "'options': {'access_key': 'A', 'secret_key': 'S'}}}}}, 'p')\n"
        "msc.StorageClient(c).generate_presigned_url('k')"
    )
    assert "botocore" in loaded  # botocore signs; boto3 is not needed for it
    assert not {m for m in loaded if m.split(".")[0] in ("boto3", "azure")}
