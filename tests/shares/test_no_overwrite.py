"""Nothing of the user's is ever overwritten: a share's manifest (and anything else the library
writes) never replaces an existing object or file unless the caller says overwrite=True.

The tests run as root, so a file outside the share's reach staying untouched is a real test:
a root-owned sentinel in a temporary folder, reached directly and through a symlink, stands in
for a system file (never a real one).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import BUCKET, seaweed_profile
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook.core._bounds import StorageBounds
from msc_notebook.core._files import write_new_file
from msc_notebook.s3._write import put_object
from msc_notebook.shares import _manifest

PREFIX = "overwrite/data"
SHARE = f"msc://demo/{PREFIX}/*"
SENTINEL = b"root:x:0:0:root:/root:/bin/bash\n"


@pytest.fixture(scope="module")
def objects(seaweedfs):
    client = seaweedfs.client()
    for name in ("a.txt", "b/c.txt"):
        client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}", Body=name.encode())
    return client


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    path = tmp_path / "passwd"
    path.write_bytes(SENTINEL)
    os.chown(path, 0, 0)
    path.chmod(0o644)
    return path


def test_an_existing_local_file_is_refused_and_left_as_it_is(objects, demo_profile, sentinel):
    with pytest.raises(msc.ObjectExistsError, match="already exists and was left as it is") as caught:
        msc.share_prefix(SHARE, manifest_url=sentinel.as_uri(), progress=False)
    assert caught.value.field == "manifest_url" and "overwrite=True" in str(caught.value)
    assert sentinel.read_bytes() == SENTINEL and stat.S_IMODE(sentinel.stat().st_mode) == 0o644
    assert sorted(p.name for p in sentinel.parent.iterdir()) == ["passwd"]  # no temporary file left behind


def test_a_symlink_to_a_file_is_never_written_through_even_with_overwrite(objects, demo_profile, sentinel):
    link = sentinel.parent / "share.json"
    link.symlink_to(sentinel)
    for overwrite in (False, True):
        with pytest.raises(msc.PresignError, match="is a symbolic link") as caught:
            msc.share_prefix(SHARE, manifest_url=link.as_uri(), overwrite=overwrite, progress=False)
        assert caught.value.field == "manifest_url"
    assert sentinel.read_bytes() == SENTINEL and link.is_symlink()


def test_a_dangling_symlink_is_not_followed_to_create_a_file(objects, demo_profile, tmp_path):
    target = tmp_path / "elsewhere" / "created.json"
    target.parent.mkdir()
    link = tmp_path / "share.json"
    link.symlink_to(target)
    with pytest.raises(msc.PresignError, match="is a symbolic link"):
        msc.share_prefix(SHARE, manifest_url=link.as_uri(), progress=False)
    assert not target.exists()


@pytest.mark.parametrize("where", ["/proc/self/environ", "/dev/null", "/sys/kernel/notes"])
def test_system_file_systems_are_refused(where):
    with pytest.raises(msc.PresignError, match="system file system") as caught:
        write_new_file(Path(where), b"{}", overwrite=True, field="manifest_url")
    assert caught.value.field == "manifest_url"


def test_a_fifo_or_a_folder_is_not_a_file_to_write(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(msc.PresignError, match="not a regular file"):
        write_new_file(fifo, b"{}", overwrite=True)


def test_overwrite_replaces_a_regular_file_whole_and_private(objects, demo_profile, sentinel):
    share = msc.share_prefix(SHARE, manifest_url=sentinel.as_uri(), overwrite=True, progress=False)
    assert share.count == 2 and b'"refs"' in sentinel.read_bytes()
    assert stat.S_IMODE(sentinel.stat().st_mode) == 0o600  # its URLs open the data: owner only


def test_an_existing_object_is_refused_unless_overwrite(objects, demo_profile, s3):
    s3.put_object(Bucket=BUCKET, Key="overwrite/existing.json", Body=b"mine")
    with pytest.raises(msc.ObjectExistsError, match="msc://demo/overwrite/existing.json already exists") as caught:
        msc.share_prefix(SHARE, manifest_url="msc://demo/overwrite/existing.json", progress=False)
    assert caught.value.field == "manifest_url"
    assert s3.get_object(Bucket=BUCKET, Key="overwrite/existing.json")["Body"].read() == b"mine"
    share = msc.share_prefix(SHARE, manifest_url="msc://demo/overwrite/existing.json", overwrite=True, progress=False)
    assert fetch(str(share)).json()["msc_notebook"]["count"] == 2


def test_a_taken_default_name_gets_a_new_random_part(objects, demo_profile, s3, monkeypatch):
    taken = ".msc_notebook/shares/taken.json"
    s3.put_object(Bucket=BUCKET, Key=taken, Body=b"an earlier share")
    names = iter(["taken.json", "taken.json", "free.json"])
    monkeypatch.setattr(_manifest, "_manifest_name", lambda *_: next(names))
    share = msc.share_prefix(SHARE, progress=False)
    assert share.details.manifest_location == "msc://demo/.msc_notebook/shares/free.json"
    assert s3.get_object(Bucket=BUCKET, Key=taken)["Body"].read() == b"an earlier share"


def test_default_names_that_stay_taken_end_in_a_typed_error(objects, demo_profile, s3, monkeypatch):
    s3.put_object(Bucket=BUCKET, Key=".msc_notebook/shares/always.json", Body=b"x")
    monkeypatch.setattr(_manifest, "_manifest_name", lambda *_: "always.json")
    with pytest.raises(msc.ObjectExistsError, match="3 new manifest names .* were all taken; nothing was written"):
        msc.share_prefix(SHARE, progress=False)


def test_a_retried_write_that_meets_its_own_first_attempt_succeeds(seaweedfs, demo_profile):
    # A create-only PUT whose answer was lost is retried and finds the object: the same bytes
    # (ETag = MD5) count as written, other bytes are someone else's object.
    client = seaweedfs.client()
    args = {"content_type": "application/json", "overwrite": False, "location": "msc://demo/retried.json",
            "where": "profile 'demo'", "bounds": StorageBounds()}  # fmt: skip
    put_object(client, BUCKET, "retried.json", b'{"a": 1}', **args)
    put_object(client, BUCKET, "retried.json", b'{"a": 1}', **args)  # "its own first attempt": no error
    with pytest.raises(msc.ObjectExistsError):
        put_object(client, BUCKET, "retried.json", b'{"a": 2}', **args)
    assert client.get_object(Bucket=BUCKET, Key="retried.json")["Body"].read() == b'{"a": 1}'


def test_a_manifest_url_on_an_unknown_profile_names_manifest_url(objects, demo_profile):
    with pytest.raises(msc.UnknownProfileError, match="manifest_url 'msc://no-such-profile/x.json'") as caught:
        msc.share_prefix(SHARE, manifest_url="msc://no-such-profile/x.json", progress=False)
    assert caught.value.field == "manifest_url"


def test_overwrite_needs_a_named_manifest(seaweedfs, write_config):
    write_config({"demo": seaweed_profile(seaweedfs)})
    with pytest.raises(msc.SignerOptionError, match="overwrite replaces an existing manifest") as caught:
        msc.PresignRequest.from_inputs(SHARE, overwrite=True)
    assert caught.value.field == "overwrite"


def test_the_command_line_refuses_an_existing_file_and_overwrites_when_asked(objects, demo_profile, sentinel, capsys):
    from msc_notebook.frontends.terminal import main

    assert main(["presign", SHARE, "--manifest-file", str(sentinel)]) == 1
    assert "already exists" in capsys.readouterr().err and sentinel.read_bytes() == SENTINEL
    assert main(["presign", SHARE, "--manifest-file", str(sentinel), "--overwrite"]) == 0
    assert b'"refs"' in sentinel.read_bytes()
