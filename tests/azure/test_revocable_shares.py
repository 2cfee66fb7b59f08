"""Revocable Azure shares against Azurite, which enforces stored access policies: every URL of
a share names one container policy, deleting it refuses them all at once, and changing the
container's ACL keeps the user's own policies and its public-access level."""

from __future__ import annotations

import pickle
import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from support.azurite import SHARED, AzuriteTokenCredential, azure_profile
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook.azure import _credentials as azure_credentials
from msc_notebook.azure import _policies as policies
from msc_notebook.frontends._facts import result_facts

pytestmark = pytest.mark.e2e  # npm's Azurite server


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def acl(azurite, container: str) -> dict:
    found = azurite.service_client().get_container_client(container).get_container_access_policy()
    return {"public": found["public_access"],
            "policies": {i.id: (i.access_policy.permission, i.access_policy.start, i.access_policy.expiry)
                         for i in found["signed_identifiers"]}}  # fmt: skip


@pytest.fixture
def own_container(azurite, shared_dataset, write_config, request):
    """A container of the test's own, holding the shared dataset, and an ``own`` profile on it."""
    name = f"acl-{request.node.name[5:30].replace('_', '-').strip('-')}".lower()
    service = azurite.service_client()
    container = service.create_container(name)
    _, files = shared_dataset
    for relative, body in files.items():
        container.upload_blob(f"{SHARED}/{relative}", body)
    write_config({"own": azure_profile(azurite, base_path=name)})
    yield container
    service.delete_container(name)


def test_every_url_names_the_share_s_policy_and_revoking_it_refuses_them_all(own_container, azurite, shared_dataset,
                                                                             tmp_path):  # fmt: skip
    from support.recipient import run_recipient

    arrays, files = shared_dataset
    share = msc.share_prefix(f"msc://own/{SHARED}/*", expires_in=900, revocable=True, progress=False)
    policy = share.details.access_policy
    assert policy.startswith("msc-share-") and share.count == len(files)
    urls = [*share.urls.values(), str(share)]
    for url in urls:  # the policy holds the permission and the expiry: the SAS names it, nothing more
        assert query(url)["si"] == policy and "sp" not in query(url) and "se" not in query(url)
    permission, _, expiry = acl(azurite, own_container.container_name)["policies"][policy]
    assert permission == "r" and datetime.fromisoformat(expiry.replace("Z", "+00:00")) == share.effective_expiry
    for url in (urls[0], str(share)):  # least permission: read only
        assert fetch(url).status_code == 200
        assert fetch(url, "PUT", data=b"x", headers={"x-ms-blob-type": "BlockBlob"}).status_code == 403
        assert fetch(url, "DELETE").status_code == 403
    result = run_recipient(tmp_path, result_facts(share).zarr_snippet)
    assert all((result["arrays"][path] == array).all() for path, array in arrays.items())

    message = share.revoke()
    assert f"its access policy {policy} is deleted, so every URL of the share, the link included, is refused" in message
    assert "up to 30 s" in message and "its manifest is deleted" in message
    assert {fetch(url).status_code for url in urls} == {403}  # at once: Azurite applies the change at once
    assert policy not in acl(azurite, own_container.container_name)["policies"]
    assert "already gone" in share.revoke()


def test_the_user_s_own_policies_and_public_access_survive_and_other_shares_keep_working(own_container, azurite):
    start, end = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2030, 1, 1, tzinfo=timezone.utc)
    from azure.storage.blob import AccessPolicy

    own_container.set_container_access_policy({"mine": AccessPolicy(permission="rl", start=start, expiry=end)},
                                              public_access="blob")  # fmt: skip
    before = acl(azurite, own_container.container_name)
    first = msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False)
    second = msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False)
    during = acl(azurite, own_container.container_name)
    assert during["public"] == "blob" and during["policies"]["mine"] == before["policies"]["mine"]
    assert {first.details.access_policy, second.details.access_policy} < set(during["policies"])
    first.revoke()
    after = acl(azurite, own_container.container_name)
    assert after == {"public": "blob", "policies": {"mine": before["policies"]["mine"],
                                                    second.details.access_policy: after["policies"][second.details.access_policy]}}  # fmt: skip
    assert fetch(str(second)).status_code == 200 and fetch(next(iter(second.urls.values()))).status_code == 200


def test_a_sixth_policy_is_refused_once_expired_share_policies_are_pruned(own_container, azurite):
    from azure.storage.blob import AccessPolicy

    now = datetime.now(timezone.utc)
    live, gone = AccessPolicy(permission="r", expiry=now + timedelta(hours=2)), AccessPolicy(permission="r", expiry=now - timedelta(hours=1))
    own_container.set_container_access_policy({"a": live, "b": live, "c": live, "msc-share-old": gone,
                                               "msc-share-live": live})  # fmt: skip
    share = msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False)  # the expired one made room
    assert set(acl(azurite, own_container.container_name)["policies"]) == {"a", "b", "c", "msc-share-live",
                                                                          share.details.access_policy}  # fmt: skip
    manifests = lambda: sorted(b.name for b in own_container.list_blobs(name_starts_with=".msc_notebook/"))  # noqa: E731
    written = manifests()
    with pytest.raises(msc.PrefixShareError, match=r"already holds 5 stored access policies, Azure's limit \(2 of "
                       r"them for revocable shares still live or expired within the last 5 minutes; the first of them ends at") as caught:  # fmt: skip
        msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False)
    assert caught.value.field == "revocable" and manifests() == written  # refused before anything was written
    assert "msc.revoke" in str(caught.value)
    assert msc.share_prefix(f"msc://own/{SHARED}/*", progress=False).count  # a share that is not revocable still can


def test_a_change_made_by_someone_else_between_read_and_write_is_kept(own_container, azurite, monkeypatch):
    from azure.storage.blob import AccessPolicy

    write = policies._write
    calls = []

    def someone_else_writes_first(container, where, wanted, read):
        if not calls:  # between our read and our write, another writer adds their policy (a new Last-Modified)
            time.sleep(1.1)
            azurite.service_client().get_container_client(container.container_name).set_container_access_policy(
                {"theirs": AccessPolicy(permission="r", expiry=datetime.now(timezone.utc) + timedelta(hours=1))})
        calls.append(read.last_modified)
        return write(container, where, wanted, read)

    monkeypatch.setattr(policies, "_write", someone_else_writes_first)
    share = msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False)
    assert len(calls) == 2 and calls[0] < calls[1]  # the conditional write was refused, and the ACL read again
    assert set(acl(azurite, own_container.container_name)["policies"]) == {"theirs", share.details.access_policy}


def test_a_policy_that_is_not_a_share_s_is_never_deleted(own_container, azurite):
    from azure.storage.blob import AccessPolicy

    own_container.set_container_access_policy({"mine": AccessPolicy(permission="r", expiry=datetime(2030, 1, 1))})
    with pytest.raises(msc.PrefixShareError, match="not the access policy of an msc_notebook share"):
        msc.storage_client("own").signer().close_access_policy("mine")
    assert "mine" in acl(azurite, own_container.container_name)["policies"]


def test_shares_made_at_once_from_threads_each_get_their_own_policy(own_container, azurite):
    shares, errors = [], []

    def make():
        try:
            shares.append(msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False))
        except Exception as exc:  # noqa: BLE001  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len({s.details.access_policy for s in shares}) == 3
    assert set(acl(azurite, own_container.container_name)["policies"]) == {s.details.access_policy for s in shares}


def test_a_share_is_revoked_after_a_restart_from_its_manifest_location_or_its_bare_link(own_container, azurite):
    by_location = msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False)
    by_link = msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False)
    object_url = next(iter(by_location.urls.values()))
    copy = pickle.loads(pickle.dumps(by_location))
    assert copy.details.access_policy == by_location.details.access_policy  # the facts carry what revoking needs
    msc.clear_client_cache()
    message = msc.revoke(copy.details.manifest_location)
    assert f"the share of msc://own/{SHARED}/*: its access policy {copy.details.access_policy} is deleted" in message
    assert fetch(str(by_location)).status_code == 403 and fetch(object_url).status_code == 403
    url = next(iter(by_link.urls.values()))
    assert "is refused from now on" in msc.revoke(str(by_link))  # the link alone, as pasted
    assert fetch(url).status_code == 403 and set(acl(azurite, own_container.container_name)["policies"]) == set()
    assert "the link no longer opens (the storage answers 403" in msc.revoke(str(by_link))


def test_a_policy_that_takes_time_to_apply_is_waited_for_within_a_bound(azurite, shared_dataset, write_config,
                                                                        monkeypatch):  # fmt: skip
    from support import fault_proxy as faults

    from msc_notebook.azure._signer import AzureURLSigner

    with faults.FaultProxy(azurite.port) as proxy:
        raw = azure_profile(azurite)
        raw["storage_provider"]["options"]["endpoint_url"] = f"{proxy.endpoint_url}/devstoreaccount1"
        write_config({"slow": raw})
        proxy.add(faults.answer(403, "AuthenticationFailed"), method="GET", contains=".msc_notebook", times=2)
        share = msc.share_prefix(f"msc://slow/{SHARED}/*", revocable=True, progress=False)
        assert proxy.count("GET", ".msc_notebook") == 3  # refused twice, as real Azure may do at first, then works
        share.revoke()
        monkeypatch.setattr(AzureURLSigner, "access_policy_settle", 2)
        proxy.add(faults.answer(403, "AuthenticationFailed"), method="GET", contains=".msc_notebook", times=None)
        started = time.monotonic()
        with pytest.warns(msc.ShareLinkWarning, match="does not open yet"):
            share = msc.share_prefix(f"msc://slow/{SHARED}/*", revocable=True, progress=False)
        assert time.monotonic() - started < 15  # the bound, not a wait without end
        proxy.clear()
        share.revoke()


def test_a_user_delegation_key_cannot_make_a_revocable_share_and_says_so_before_any_network_call(write_config,
                                                                                                 monkeypatch):  # fmt: skip
    monkeypatch.setattr(azure_credentials, "make_token_credential", lambda options: AzuriteTokenCredential())
    write_config({"nowhere": {  # nothing answers there: any network call would fail differently
        "storage_provider": {"type": "azure", "options": {"endpoint_url": "https://127.0.0.1:9/acct", "base_path": "data-c"}},
        "credentials_provider": {"type": "DefaultAzureCredentials"}}})  # fmt: skip
    with pytest.raises(msc.SignerOptionError, match="a revocable share needs the account key") as caught:
        msc.share_prefix("msc://nowhere/data/*", revocable=True)
    assert caught.value.field == "revocable" and "AzureCredentials (a connection string)" in str(caught.value)


def test_revocable_is_checked_up_front(write_config, azurite):
    write_config({"az": azure_profile(azurite), "other": azure_profile(azurite)})
    with pytest.raises(msc.SignerOptionError, match="revocable must be True or False, got 'yes'") as caught:
        msc.share_prefix(f"msc://az/{SHARED}/*", revocable="yes")
    assert caught.value.field == "revocable"
    with pytest.raises(msc.SignerOptionError, match="keeps its manifest on profile 'az'") as caught:
        msc.share_prefix(f"msc://az/{SHARED}/*", revocable=True, manifest_url="msc://other/m.json")
    assert caught.value.field == "manifest_url"


def test_presign_and_the_command_line_make_revocable_shares(own_container, azurite, ip):
    import json

    from conftest import run_cell
    from support.cli import run_cli

    result, _ = run_cell(ip, f'share = %presign "msc://own/{SHARED}/*" --revocable -q')
    share = ip.user_ns["share"]
    assert share.details.access_policy in acl(azurite, own_container.container_name)["policies"]
    assert "Revoke deletes the share's access policy" in result_facts(share).revoke_note
    _, said = run_cell(ip, "%presign_revoke \"{share.details.manifest_location}\"")
    assert "is refused from now on" in said.stdout, (said.stderr, said.outputs)
    assert fetch(str(share)).status_code == 403
    done = run_cli("presign", f"msc://own/{SHARED}/*", "--revocable", "--json")
    facts = json.loads(done.stdout)
    assert done.returncode == 0 and facts["access_policy"].startswith("msc-share-") and "si=" in facts["url"]
    assert run_cli("revoke", facts["url"]).returncode == 0 and fetch(facts["url"]).status_code == 403
    refused = run_cli("presign", f"msc://own/{SHARED}/zarr.json", "--revocable")
    assert refused.returncode == 1 and "--revocable is for sharing a prefix" in refused.stderr
    with pytest.raises(msc.SignerOptionError, match="revocable is for sharing a prefix"):
        msc.PresignRequest.from_inputs(f"msc://own/{SHARED}/zarr.json", revocable=True)


def test_a_revocable_share_may_keep_its_manifest_in_a_local_file(own_container, azurite, tmp_path):
    share = msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False,
                             manifest_url=(tmp_path / "share.json").as_uri())  # fmt: skip
    url = next(iter(share.urls.values()))
    assert fetch(url).status_code == 200 and query(url)["si"] == share.details.access_policy
    message = msc.revoke(share.details.manifest_location)  # after a restart: the file says which policy
    assert "is refused from now on" in message and fetch(url).status_code == 403 and not (tmp_path / "share.json").exists()


def test_an_interrupted_revocable_share_leaves_neither_policy_nor_manifest(own_container, azurite, monkeypatch):
    from msc_notebook.shares import _share_prefix

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_share_prefix, "_wait_until_the_policy_applies", interrupted)
    with pytest.raises(KeyboardInterrupt):
        msc.share_prefix(f"msc://own/{SHARED}/*", revocable=True, progress=False)
    assert acl(azurite, own_container.container_name)["policies"] == {}
    assert not list(own_container.list_blobs(name_starts_with=".msc_notebook/"))
