"""Taking a share back as far as the storage allows, and saying honestly what remains: a manifest
share's manifest is deleted (its link dies; the presigned URLs it held live until they expire); a
CloudFront wildcard can only be revoked by removing its key pair."""

from __future__ import annotations

import pickle

import pytest
from conftest import BUCKET, run_cell
from support.cloudfront import cloudfront_profile
from support.http_client import fetch

import msc_notebook as msc

PREFIX = "revoke/data"


@pytest.fixture(scope="module")
def objects(seaweedfs):
    client = seaweedfs.client()
    for index in range(3):
        client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{index}.bin", Body=b"r" * (index + 1))


def test_revoking_a_manifest_share_kills_its_link_and_says_what_remains(objects, demo_profile):
    share = msc.share_prefix(f"msc://demo/{PREFIX}/*", progress=False)
    url = share.urls["0.bin"]
    message = share.revoke()
    assert "its manifest is deleted, so the link no longer opens" in message
    assert "The 3 object URLs it held cannot be recalled" in message and "UTC" in message
    assert fetch(str(share)).status_code in (403, 404) and fetch(url).status_code == 200  # as said
    assert "already gone" in share.revoke()


def test_a_share_is_revoked_from_its_manifest_location_after_a_restart(objects, demo_profile, tmp_path):
    share = msc.share_prefix(f"msc://demo/{PREFIX}/*", progress=False)
    copy = pickle.loads(pickle.dumps(share))  # as the history or a new kernel would have it: no deleter
    with pytest.raises(msc.PrefixShareError, match=r"revoke it with msc.revoke\('msc://demo/.msc_notebook/shares/"):
        copy.revoke()
    msc.clear_client_cache()
    assert "is deleted" in msc.revoke(share.details.manifest_location)
    assert fetch(str(share)).status_code in (403, 404)
    local = msc.share_prefix(f"msc://demo/{PREFIX}/*", manifest_url=(tmp_path / "m.json").as_uri(), progress=False)
    assert "is deleted" in msc.revoke(local.details.manifest_location) and not (tmp_path / "m.json").exists()


def test_a_cloudfront_wildcard_cannot_be_taken_back_and_says_how_it_can(write_config, cloudfront_key_file):
    write_config({"cf": cloudfront_profile(cloudfront_key_file, base_path=BUCKET)})
    share = msc.share_prefix("msc://cf/revoke/data/*", signer_type="cloudfront")
    with pytest.raises(msc.SignerOptionError, match="key pair that signed it is removed from the distribution"):
        msc.revoke(share)


def test_a_share_is_revoked_from_its_bare_link_with_the_profile_s_credentials(objects, demo_profile):
    share = msc.share_prefix(f"msc://demo/{PREFIX}/*", progress=False)
    msc.clear_client_cache()  # as after a restart: the link is all there is
    message = msc.revoke(str(share))
    assert f"the share of msc://demo/{PREFIX}/*: its manifest is deleted, so the link no longer opens" in message
    assert "The 3 object URLs it held cannot be recalled" in message
    assert fetch(str(share)).status_code in (403, 404)
    assert "the link no longer opens (the storage answers" in msc.revoke(str(share))


def test_a_crafted_link_or_a_file_that_is_not_a_manifest_deletes_nothing(objects, demo_profile, s3, tmp_path):
    import json

    s3.put_object(Bucket=BUCKET, Key="victim.txt", Body=b"keep me")
    forged = {"version": 1, "refs": {}, "msc_notebook": {"source": "msc://demo/x/*", "manifest": "msc://demo/victim.txt"}}
    s3.put_object(Bucket=BUCKET, Key="forged.json", Body=json.dumps(forged).encode())
    link = msc.generate_presigned_url("msc://demo/forged.json")
    with pytest.raises(msc.PrefixShareError, match="the link points elsewhere: nothing was deleted"):
        msc.revoke(str(link))
    assert s3.get_object(Bucket=BUCKET, Key="victim.txt")["Body"].read() == b"keep me"
    with pytest.raises(msc.PrefixShareError, match="not a share's manifest made by msc_notebook: nothing was deleted"):
        msc.revoke("msc://demo/victim.txt")
    mine = tmp_path / "notes.txt"
    mine.write_text("mine")
    with pytest.raises(msc.PrefixShareError, match="nothing was deleted"):
        msc.revoke(mine.as_uri())
    assert mine.read_text() == "mine"


def test_revocable_is_refused_where_the_storage_cannot_revoke_and_says_what_it_can(objects, demo_profile, write_config,
                                                                                 cloudfront_key_file):  # fmt: skip
    with pytest.raises(msc.SignerOptionError, match="cannot be revoked one share at a time") as caught:
        msc.share_prefix(f"msc://demo/{PREFIX}/*", revocable=True)
    assert caught.value.field == "revocable" and "share.revoke() still deletes the manifest" in str(caught.value)
    write_config({"cf": cloudfront_profile(cloudfront_key_file, base_path=BUCKET)})
    with pytest.raises(msc.SignerOptionError, match="only removing the key pair") as caught:
        msc.share_prefix("msc://cf/revoke/data/*", signer_type="cloudfront", revocable=True)
    assert caught.value.field == "revocable"


def test_the_result_widget_checks_and_revokes_and_the_history_keeps_what_revoking_did(objects, demo_profile, ip):
    from support.cli import run_cli

    from msc_notebook.frontends._facts import result_facts
    from msc_notebook.frontends.notebook._history import history
    from msc_notebook.frontends.notebook._render import result_html, result_text
    from msc_notebook.frontends.notebook._result_widget import PresignResultWidget

    share = msc.share_prefix(f"msc://demo/{PREFIX}/*", progress=False)
    history.add(share)
    widget = PresignResultWidget.for_result(share)
    assert widget.can_check and widget.check() is True and widget.check_result["works"]
    assert "the link: works" in widget.check_result["text"]
    assert "Revoke deletes the manifest" in widget.facts["revoke_note"] and "cannot be recalled" in result_text(result_facts(share))
    text = widget.revoke()
    assert "its manifest is deleted" in text and widget.facts["revoked"] == text and widget.revoke() is None
    assert fetch(str(share)).status_code in (403, 404)
    entry = history.newest_first()[0]
    assert entry.revoked == text and "Revoked: " in result_html(entry)
    assert not PresignResultWidget.for_facts(entry, compact=True).can_check  # the history keeps facts: no check

    again = msc.share_prefix(f"msc://demo/{PREFIX}/*", progress=False)
    run_cell(ip, f"%presign_revoke {again.details.manifest_location}")
    assert fetch(str(again)).status_code in (403, 404)
    third = msc.share_prefix(f"msc://demo/{PREFIX}/*", progress=False)
    done = run_cli("revoke", str(third))
    assert done.returncode == 0 and "its manifest is deleted" in done.stdout and fetch(str(third)).status_code in (403, 404)
    failed = run_cli("revoke", "msc://demo/revoke/data/0.bin")
    assert failed.returncode == 1 and "nothing was deleted" in failed.stderr
