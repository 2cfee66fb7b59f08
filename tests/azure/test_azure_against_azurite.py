"""Our Azure SAS URLs against Azurite, which verifies signature, expiry, scope and permission.

Two servers: plain HTTP with the development account's key (``AzureCredentials``), and
HTTPS with OAuth, where ``DefaultAzureCredentials`` gets real user delegation keys (the
token credential is the one stand-in: Azurite's OAuth accepts unsigned tokens). A SAS made
with a key that expires in seconds is refused by the server once the key has expired,
though its own ``se`` is an hour away: the effective expiry we show.
"""

from __future__ import annotations

import re
import subprocess
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from support.azurite import CONTAINER, SHARED, AzuriteTokenCredential, azure_profile
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook import ConfigError, CredentialExpiryWarning, summarize_profile
from msc_notebook.azure import _credentials as azure_credentials
from msc_notebook.frontends._facts import curl_upload_command, result_facts
from msc_notebook.frontends._profiles_table import time_left

pytestmark = pytest.mark.e2e  # slow: npm's Azurite server, and a delegation key that really expires

AWKWARD_NAMES = [
    "dir with space/a b.txt",
    "ünïcødé/文件.bin",
    "plus+sign.txt",
    "100%.txt",
    "hash#tag.txt",
    "all of them +%#ü~*().txt",
]


@pytest.fixture
def az(azurite, write_config) -> msc.StorageClient:
    write_config({"az": azure_profile(azurite), "nocontainer": azure_profile(azurite, base_path="no-such-container")})
    return msc.StorageClient(msc.StorageClientConfig.from_file("az"))


@pytest.fixture
def container(azurite):
    return azurite.service_client().get_container_client(CONTAINER)


def put(container, name: str, data: bytes) -> None:
    container.upload_blob(name, data, overwrite=True)


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def replace_param(url: str, name: str, value: str) -> str:
    base, _, qs = url.partition("?")
    return base + "?" + "&".join(f"{name}={value}" if p.startswith(name + "=") else p for p in qs.split("&"))


# --- account key (AzureCredentials) ---


def test_get_returns_the_bytes(az, container):
    put(container, "hello.txt", b"hello azure")
    url = msc.generate_presigned_url("msc://az/hello.txt")
    response = fetch(url)
    assert (response.status_code, response.content) == (200, b"hello azure")
    assert url.signer_type == "azure" and url.credential_expiry is None


def test_put_uploads_what_a_later_get_returns(az):
    url = az.generate_presigned_url("uploads/new.bin", method="PUT")
    assert fetch(url, "PUT", data=b"\x00\x01 uploaded", headers={"x-ms-blob-type": "BlockBlob"}).status_code == 201
    response = fetch(az.generate_presigned_url("uploads/new.bin"))
    assert (response.status_code, response.content) == (200, b"\x00\x01 uploaded")


def test_the_upload_snippet_works(az, tmp_path):
    url = az.generate_presigned_url("uploads/report.csv", method="PUT")
    (tmp_path / "report.csv").write_bytes(b"a,b\n1,2\n")
    command = result_facts(url).curl
    assert command == curl_upload_command(url)
    subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, capture_output=True, timeout=60)
    assert fetch(az.generate_presigned_url("uploads/report.csv")).content == b"a,b\n1,2\n"


def test_head_works(az, container):
    put(container, "head.txt", b"12345")
    response = fetch(az.generate_presigned_url("head.txt", method="HEAD"), "HEAD")
    assert (response.status_code, response.headers["Content-Length"]) == (200, "5")


def test_download_name_and_content_type_overrides(az, container):
    put(container, "data.bin", b"x")
    url = az.generate_presigned_url(
        "data.bin",
        signer_options={"content_disposition": 'attachment; filename="d.csv"', "response_content_type": "text/csv"},
    )
    response = fetch(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="d.csv"'
    assert response.headers["Content-Type"] == "text/csv"


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_awkward_blob_names_round_trip(az, name):
    body = f"body of {name}".encode()
    put_url = az.generate_presigned_url(f"awkward/{name}", method="PUT")
    assert fetch(put_url, "PUT", data=body, headers={"x-ms-blob-type": "BlockBlob"}).status_code == 201
    response = fetch(az.generate_presigned_url(f"awkward/{name}"))
    assert (response.status_code, response.content) == (200, body)
    listed = az.signer().list_page("awkward/", delimiter=False, page_size=100, token=None)
    assert f"awkward/{name}" in [entry.key for entry in listed.entries]


def test_refused_when_tampered_expired_moved_or_misused(az, container, monkeypatch, clock):
    put(container, "guarded.txt", b"secret data")
    put(container, "other.txt", b"other data")
    good = az.generate_presigned_url("guarded.txt")
    assert fetch(good).status_code == 200
    sig = query(good)["sig"]
    tampered = replace_param(good, "sig", ("A" if sig[0] != "A" else "B") + sig[1:])
    assert fetch(tampered).status_code == 403
    later = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ")
    assert fetch(replace_param(good, "se", later)).status_code == 403  # a raised expiry breaks the signature
    assert fetch(good.replace("/guarded.txt?", "/other.txt?")).status_code == 403  # another blob
    overwrite = fetch(good, "PUT", data=b"overwrite", headers={"x-ms-blob-type": "BlockBlob"})
    assert overwrite.status_code == 403  # a read URL does not write
    put_url = az.generate_presigned_url("guarded.txt", method="PUT")
    assert fetch(put_url).status_code == 403  # create/write does not read
    clock(lambda: datetime.now(timezone.utc) - timedelta(hours=2))
    expired = az.generate_presigned_url("guarded.txt", signer_options={"expires_in": 60})
    assert fetch(expired).status_code == 403
    assert fetch(az.generate_presigned_url("guarded.txt")).status_code == 403  # signed "2 h ago", 1 h long
    assert container.download_blob("guarded.txt").readall() == b"secret data"


def test_listing_pages_relative_to_base_path(azurite, write_config, container):
    for name in ["tree/a.txt", "tree/b/c.txt", "tree/b/d.txt", "tree/e.txt", "tree/f/g.txt", "treetop.txt"]:
        put(container, name, b"12")
    write_config({"tree": azure_profile(azurite, base_path=f"{CONTAINER}/tree")})
    signer = msc.StorageClient(msc.StorageClientConfig.from_file("tree")).signer()
    pages, token = [], None
    while True:
        page = signer.list_page("", delimiter=True, page_size=2, token=token)
        pages.append([(e.key, e.type) for e in page.entries])
        token = page.next_token
        if token is None:
            break
    assert pages == [[("a.txt", "file"), ("b/", "directory")], [("e.txt", "file"), ("f/", "directory")]]
    everything = signer.list_page("", delimiter=False, page_size=100, token=None)
    assert [e.key for e in everything.entries] == ["a.txt", "b/c.txt", "b/d.txt", "e.txt", "f/g.txt"]
    assert everything.next_token is None and everything.entries[0].content_length == 2
    assert everything.entries[0].last_modified.tzinfo is not None
    under_b = signer.list_page("b/", delimiter=True, page_size=10, token=None)
    assert [e.key for e in under_b.entries] == ["b/c.txt", "b/d.txt"]


def test_unknown_container_is_refused_at_listing_and_signing(az):
    client = msc.StorageClient(msc.StorageClientConfig.from_file("nocontainer"))
    with pytest.raises(ConfigError, match="container 'no-such-container' does not exist in account 'devstoreaccount1'"):
        client.signer().list_page("", delimiter=True, page_size=10, token=None)
    with pytest.raises(ConfigError, match="container 'no-such-container' does not exist"):
        client.generate_presigned_url("k")


def test_profiles_summary(az, azurite):
    from msc_notebook import summarize_profiles

    _, summaries = summarize_profiles()
    summary = {s.name: s for s in summaries}["az"]
    assert summary.presign_supported and summary.signer_types == ("azure",) and summary.problem is None
    assert (summary.credentials_source, summary.credential_expiry) == ("account key (connection string)", None)
    assert summary.endpoint == azurite.endpoint_url


def test_presign_magic(az, container, ipython_shell):
    put(container, "magic.txt", b"via the magic")
    ipython_shell.run_line_magic("load_ext", "msc_notebook")
    try:
        url = ipython_shell.run_line_magic("presign", "msc://az/magic.txt -e 15m -q")
    finally:
        ipython_shell.run_line_magic("unload_ext", "msc_notebook")
    assert url.expires_in == 900 and fetch(url).content == b"via the magic"


# --- user delegation keys (DefaultAzureCredentials) ---


@pytest.fixture
def delegated(azurite_oauth, write_config, monkeypatch) -> msc.StorageClient:
    """A DefaultAzureCredentials profile; Azure Identity's credential is the one stand-in."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(azurite_oauth.cert))  # the SDK trusts Azurite's certificate
    monkeypatch.setattr(azure_credentials, "make_token_credential", lambda options: AzuriteTokenCredential())
    write_config({"delegated": azure_profile(azurite_oauth, credentials={"type": "DefaultAzureCredentials"})})
    azurite_oauth.service_client().get_container_client(CONTAINER).upload_blob("d.txt", b"delegated", overwrite=True)
    return msc.StorageClient(msc.StorageClientConfig.from_file("delegated"))


def test_delegation_sas_works_and_is_verified(delegated, azurite_oauth):
    url = delegated.generate_presigned_url("d.txt")
    params = query(url)
    assert params["skoid"] and params["ske"] and params["spr"] == "https"
    response = fetch(url, verify=str(azurite_oauth.cert))
    assert (response.status_code, response.content) == (200, b"delegated")
    tampered = replace_param(url, "sig", ("A" if params["sig"][0] != "A" else "B") + params["sig"][1:])
    assert fetch(tampered, verify=str(azurite_oauth.cert)).status_code == 403
    # The key was asked for the longest life Azure grants, so a 1-hour URL is not cut short.
    assert url.credential_expiry > url.signed_at + timedelta(days=6) and url.warning is None
    assert delegated.signer().credentials().expiry == url.credential_expiry  # the cached key, as %presign_profiles shows
    assert delegated.signer().credentials().source == "user delegation key (Azure Identity)"
    assert delegated.generate_presigned_url("d.txt").credential_expiry == url.credential_expiry  # reused


def test_a_sas_dies_with_its_delegation_key(delegated, azurite_oauth, monkeypatch):
    cert = str(azurite_oauth.cert)
    monkeypatch.setattr(azure_credentials, "DELEGATION_KEY_LIFETIME", timedelta(seconds=10))
    with pytest.warns(CredentialExpiryWarning, match="stops working after"):
        url = delegated.generate_presigned_url("d.txt", signer_options={"expires_in": 3600})
    assert fetch(url, verify=cert).status_code == 200
    key_expiry = datetime.fromisoformat(query(url)["ske"].replace("Z", "+00:00"))
    own_expiry = datetime.fromisoformat(query(url)["se"].replace("Z", "+00:00"))
    assert own_expiry == url.signed_at + timedelta(hours=1)
    assert url.credential_expiry == url.effective_expiry == key_expiry == url.signed_at + timedelta(seconds=10)
    facts = result_facts(url)  # what the widget's countdown and the static rendering show
    assert facts.limited_by_credentials and facts.effective_expiry_ms == int(key_expiry.timestamp() * 1000)
    assert "10 s, not the 1 h requested" in facts.warning
    summary = summarize_profile("delegated")  # what %presign_profiles shows: a key's few seconds
    assert summary.credentials_source == "user delegation key (Azure Identity)"
    assert timedelta(0) < summary.credential_expiry - url.signed_at <= timedelta(seconds=15)
    assert re.fullmatch(r"\d+ s \(until .* UTC\)", time_left(summary))
    wait = (key_expiry - datetime.now(timezone.utc)).total_seconds() + 1.5
    assert 0 < wait < 12
    time.sleep(wait)
    assert datetime.now(timezone.utc) < own_expiry
    assert fetch(url, verify=cert).status_code == 403  # refused though its own se is an hour away
    # The next URL gets a fresh key rather than the dead one.
    with pytest.warns(CredentialExpiryWarning):
        renewed = delegated.generate_presigned_url("d.txt", signer_options={"expires_in": 3600})
    assert renewed.credential_expiry > key_expiry
    assert fetch(renewed, verify=cert).status_code == 200


def test_delegated_listing(delegated):
    entries = delegated.signer().list_page("", delimiter=True, page_size=100, token=None).entries
    assert "d.txt" in [e.key for e in entries]


def test_concurrent_first_signing_requests_one_key(delegated, azurite_oauth):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        urls = list(pool.map(lambda i: delegated.generate_presigned_url("d.txt", signer_options={"expires_in": 600 + i}, warn=False), range(16)))
    assert len({query(url)["ske"] for url in urls}) == 1 and len({query(url)["skoid"] for url in urls}) == 1
    assert all(fetch(url, verify=str(azurite_oauth.cert)).status_code == 200 for url in urls[:3])


def test_the_form_browses_and_signs_an_azure_profile(az, container, ipython_shell):
    """Everything in the notebook layer works for azure: the form's profile list, Browse through
    the container listing, the methods, the result and the history; %presign_profiles too."""
    from IPython.utils.capture import capture_output

    from msc_notebook.frontends.notebook._form import PresignForm
    from msc_notebook.frontends.notebook._history import history

    put(container, "browse/one.txt", b"one")
    put(container, "browse/deeper/two.txt", b"two")
    history.clear()
    form = PresignForm()
    assert ("az (azure)", "az") in form.profile.options
    form.profile.value = "az"
    assert [label for label, _ in form.signer.options] == ["Azure SAS"]
    form.path.value = "browse/"
    form.browse()
    assert [value for _, value in form.listing.options] == ["browse/deeper/", "browse/one.txt"]
    form.listing.value = "browse/one.txt"
    form.method.value = "GET"
    result = form.sign()
    assert form.error_messages == {} and fetch(result).content == b"one"
    form.method.value = "PUT"
    upload = form.sign()
    assert "x-ms-blob-type: BlockBlob" in form.results.children[0].facts["curl"]
    assert [f.url for f in history.newest_first()[:2]] == [str(upload), str(result)]
    ipython_shell.run_line_magic("load_ext", "msc_notebook")
    try:
        with capture_output() as captured:
            ipython_shell.run_line_magic("presign_profiles", "")
            ipython_shell.run_line_magic("presign_history", "")
    finally:
        ipython_shell.run_line_magic("unload_ext", "msc_notebook")
    shown = "\n".join(output.data.get("text/plain", "") for output in captured.outputs)
    assert re.search(r"^az +azure ", shown, re.M) and "account key (connection string)" in shown  # the profiles table
    assert "2 signed in this session" in shown and "PUT msc://az/browse/one.txt (azure signer)" in shown


# Prefix shares: a signed manifest of read-only SAS URLs, as on S3.

def test_an_azure_share_is_a_manifest_of_read_only_sas_urls_a_recipient_opens(az, shared_dataset, tmp_path, monkeypatch):
    from support.recipient import run_recipient

    monkeypatch.setattr("msc_notebook._client.LIST_PAGE_SIZE", 9)  # several listing pages
    arrays, files = shared_dataset
    share = msc.share_prefix(f"msc://az/{SHARED}/*", expires_in=900, progress=False)
    assert isinstance(share, msc.ManifestShare) and share.signer_type == "azure" and share.count == len(files)
    assert share.details.manifest_location.startswith("msc://az/.msc_notebook/shares/ocean data.zarr-")
    assert "sp=r&" in share and fetch(share).json()["msc_notebook"]["count"] == len(files)
    urls = share.urls
    assert sorted(urls) == sorted(files) and all("sp=r&" in url for url in urls.values())
    assert len({parse_qs(urlsplit(url).query)["se"][0] for url in [*urls.values(), str(share)]}) == 1  # one expiry
    first = next(iter(urls.values()))
    assert fetch(first).status_code == 200
    for url in (first, str(share)):  # read-only: no write, no delete, the link included
        assert fetch(url, "PUT", data=b"x", headers={"x-ms-blob-type": "BlockBlob"}).status_code == 403
        assert fetch(url, "DELETE").status_code == 403
    result = run_recipient(tmp_path, result_facts(share).zarr_snippet)
    assert result["imported"] == [] and all((result["arrays"][p] == a).all() for p, a in arrays.items())


def test_an_azure_manifest_never_replaces_a_blob(az, shared_dataset, azurite):
    container = azurite.service_client().get_container_client(CONTAINER)
    container.upload_blob("handed-out/taken.json", b"mine", overwrite=True)
    with pytest.raises(msc.ObjectExistsError, match="msc://az/handed-out/taken.json already exists") as caught:
        msc.share_prefix(f"msc://az/{SHARED}/*", manifest_url="msc://az/handed-out/taken.json", progress=False)
    assert caught.value.field == "manifest_url"
    assert container.download_blob("handed-out/taken.json").readall() == b"mine"
    share = msc.share_prefix(f"msc://az/{SHARED}/*", manifest_url="msc://az/handed-out/taken.json", overwrite=True,
                             progress=False)  # fmt: skip
    assert fetch(share).json()["msc_notebook"]["count"] == share.count


def test_an_azure_manifest_upload_retries_through_faults_and_meets_its_own_lost_answer(azurite, shared_dataset,
                                                                                          write_config):  # fmt: skip
    from support import fault_proxy as faults

    with faults.FaultProxy(azurite.port) as proxy:
        raw = azure_profile(azurite)
        raw["storage_provider"]["options"]["endpoint_url"] = f"{proxy.endpoint_url}/devstoreaccount1"
        write_config({"azf": raw})
        proxy.add(faults.answer(503, "ServerBusy"), method="PUT", contains=".msc_notebook")
        proxy.add(faults.lose_answer(), method="PUT", contains=".msc_notebook")
        share = msc.share_prefix(f"msc://azf/{SHARED}/*", progress=False)
        assert proxy.count("PUT", ".msc_notebook") == 3  # 503, stored but its answer lost, then 409: its own bytes
        assert fetch(share).json()["msc_notebook"]["count"] == share.count
        proxy.clear()
        proxy.add(faults.answer(500, "InternalError"), method="PUT", contains=".msc_notebook", times=None)
        with pytest.raises(msc.StorageWriteError, match="500 InternalError after 3 attempts") as caught:
            msc.share_prefix(f"msc://azf/{SHARED}/*", progress=False)
        assert "credential" not in str(caught.value) and caught.value.field == "manifest_url"


def test_revoking_an_azure_share_deletes_its_manifest(az, shared_dataset):
    share = msc.share_prefix(f"msc://az/{SHARED}/*", progress=False)
    url = next(iter(share.urls.values()))
    assert "its manifest is deleted" in share.revoke()
    assert fetch(share).status_code == 404 and fetch(url).status_code == 200


def test_upload_policies_are_refused_on_azure_saying_what_it_offers(az):
    for url, kwargs in (("msc://az/inbox/*", {}), ("msc://az/inbox/x.bin", {"max_size": "1MB"})):
        with pytest.raises(msc.SignerOptionError, match="Azure has no POST policy") as caught:
            msc.generate_presigned_post(url, **kwargs)
        assert caught.value.field == "method" and "a PUT SAS" in str(caught.value)
