"""A large file through one Azure write SAS, in blocks (Put Block, Put Block List), against Azurite:
the recipient's script, run as printed with no credentials, makes a byte-identical blob."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest
from support.azurite import CONTAINER, azure_profile
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook import azcopy_command
from msc_notebook import azure_block_upload_script as block_upload_script
from msc_notebook.frontends._facts import result_facts

pytestmark = pytest.mark.e2e  # npm's Azurite server, a recipient process

MiB = 2**20
AWKWARD_FILE = "big fïlé's 文件 (copy).bin"


@pytest.fixture
def az(azurite, write_config) -> str:
    write_config({"az": azure_profile(azurite)})
    return "az"


def recipient_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "AZURE_", "MSC_"))}


def run_script(script: str, directory, *args: str) -> subprocess.CompletedProcess:
    (directory / "upload.py").write_text(script)
    return subprocess.run([sys.executable, "upload.py", *args], cwd=directory, env=recipient_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_one_write_sas_uploads_a_file_of_several_blocks(az, azurite, tmp_path):
    data = os.urandom(3 * MiB + MiB // 2)  # 3.5 MiB: four blocks of 1 MiB, the last half full
    (tmp_path / AWKWARD_FILE).write_bytes(data)
    name = "large/dätä set's #1.bin"
    url = msc.generate_presigned_url(f"msc://az/{name}", method="PUT")
    script = block_upload_script(url, AWKWARD_FILE, block_size="1MiB")
    assert "x-ms-version" not in script  # a SAS request runs at the SAS's own version (sv)
    done = run_script(script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "uploaded 3,670,016 bytes in 4 blocks" in done.stdout
    blob = azurite.service_client().get_blob_client(CONTAINER, name)
    assert blob.download_blob().readall() == data
    committed, uncommitted = blob.get_block_list("all")
    assert [block.size for block in committed] == [MiB, MiB, MiB, MiB // 2] and not uncommitted
    assert len({len(block.id) for block in committed}) == 1  # block ids of one length
    assert fetch(msc.generate_presigned_url(f"msc://az/{name}")).content == data
    facts = result_facts(url)  # the widget offers the same script (8 MiB blocks) and the azcopy line
    assert facts.block_upload_script == block_upload_script(url, "dätä set's #1.bin")
    assert facts.azcopy_command == azcopy_command(url, "dätä set's #1.bin")


def test_a_read_sas_is_refused_and_a_tampered_one_fails_with_nothing_committed(az, azurite, tmp_path):
    (tmp_path / "FILE").write_bytes(b"x" * 100)
    read = str(msc.generate_presigned_url("msc://az/large/read-only.bin"))  # a GET SAS, as a plain str
    with pytest.raises(msc.SignerOptionError, match=r"a SAS that may not write \(permissions 'r'\)") as caught:
        block_upload_script(read)
    assert caught.value.field == "url"
    write = str(msc.generate_presigned_url("msc://az/large/read-only.bin", method="PUT"))
    tampered = write.replace("sig=", "sig=A", 1)
    done = run_script(block_upload_script(tampered, block_size=64), tmp_path)
    assert done.returncode == 1 and "block 0 was not uploaded: 403" in done.stderr, done.stderr
    assert "Nothing was committed" in done.stderr
    assert not azurite.service_client().get_blob_client(CONTAINER, "large/read-only.bin").exists()


def test_an_empty_file_makes_an_empty_blob(az, azurite, tmp_path):
    (tmp_path / "FILE").write_bytes(b"")
    url = msc.generate_presigned_url("msc://az/large/empty.bin", method="PUT")
    done = run_script(block_upload_script(url), tmp_path)
    assert done.returncode == 0, done.stderr
    assert azurite.service_client().get_blob_client(CONTAINER, "large/empty.bin").download_blob().readall() == b""


def test_the_helpers_refuse_what_cannot_upload(az):
    get_url = msc.generate_presigned_url("msc://az/large/x.bin")
    put_url = msc.generate_presigned_url("msc://az/large/x.bin", method="PUT")
    for bad, field in ((get_url, "url"), ("not a url", "url"), (put_url, "block_size")):
        with pytest.raises(msc.SignerOptionError) as caught:
            block_upload_script(bad, block_size=0 if bad is put_url else "1MiB")
        assert caught.value.field == field
    with pytest.raises(msc.SignerOptionError, match="4000 MiB"):
        block_upload_script(put_url, block_size="5GiB")
    command = azcopy_command(put_url, AWKWARD_FILE, block_size="16MiB")
    assert command == f"azcopy copy {shlex.quote(AWKWARD_FILE)} {shlex.quote(put_url)} --block-size-mb 16"
