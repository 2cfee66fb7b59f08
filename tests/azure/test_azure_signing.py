"""The Azure signer without a server: profile and option errors (never echoing a key), the
least-permission SAS it writes, the delegation-key renewal rule, and the optional extra.
What Azurite makes of the URLs is in test_azure_against_azurite.py."""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from support.azure_profiles import CONNECTION, ENDPOINT, SECRET, profile

import msc_notebook as msc
from msc_notebook import (
    ConfigParseError,
    CredentialsError,
    CredentialStatus,
    SignerOptionError,
    UnsupportedProviderError,
)
from msc_notebook.azure import _credentials as azure_credentials
from msc_notebook.azure._credentials import DelegationKeyCache
from msc_notebook.azure._signer import AzureURLSigner, account_name_from_endpoint
from msc_notebook.core._signer import signer_types_for
from msc_notebook.testing import freeze_clock


def client_for(raw: dict) -> msc.StorageClient:
    return msc.StorageClient(msc.StorageClientConfig.from_dict({"profiles": {"az": raw}}, "az"))


def sign(raw: dict, path: str = "f.txt", **kwargs) -> msc.PresignedURL:
    return client_for(raw).generate_presigned_url(path, warn=False, **kwargs)


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_azure_is_the_native_signer_of_azure_profiles():
    assert signer_types_for("azure") == ("azure",)
    assert msc.SignerType("azure") is msc.SignerType.AZURE
    signer = client_for(profile()).signer()
    assert isinstance(signer, AzureURLSigner) and signer.account_name == "acct"


def test_get_url_is_read_only_for_one_blob_until_expires_in():
    frozen = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    with freeze_clock(frozen):
        url = sign(profile(), "dir/a b#.txt", signer_options={"expires_in": 900})
    assert str(url).startswith(f"{ENDPOINT}/data/pre/dir/a%20b%23.txt?")
    params = query(url)
    assert (params["sp"], params["sr"], params["se"]) == ("r", "b", "2026-03-01T12:15:00Z")
    assert "spr" not in params  # http endpoint: an https-only SAS would not work on it
    assert url.signed_at == frozen and url.credential_expiry is None and url.warning is None
    assert url.effective_expiry == frozen + timedelta(seconds=900)
    assert url.details.blob == "pre/dir/a b#.txt" and url.details.permissions == "r"


@pytest.mark.parametrize(("method", "permission"), [("GET", "r"), ("HEAD", "r"), ("PUT", "cw")])
def test_least_permission_per_method(method, permission):
    url = sign(profile(), method=method)
    assert query(url)["sp"] == permission
    assert url.method == method


def test_https_endpoint_signs_https_only_urls():
    raw = profile(endpoint_url="https://acct.blob.core.windows.net")
    raw["credentials_provider"]["options"]["connection"] = CONNECTION.replace(
        ENDPOINT, "https://acct.blob.core.windows.net"
    )
    url = sign(raw)
    assert str(url).startswith("https://acct.blob.core.windows.net/data/pre/f.txt?")
    assert query(url)["spr"] == "https"


def test_put_url_tells_the_upload_snippet_the_header_azure_needs():
    from msc_notebook.frontends._facts import curl_upload_command

    url = sign(profile(), "up/report.csv", method="PUT")
    assert "-H 'x-ms-blob-type: BlockBlob'" in curl_upload_command(url)


def test_download_name_and_content_type_are_signed_for_get():
    url = sign(profile(), signer_options={"content_disposition": "attachment", "response_content_type": "text/csv"})
    assert (query(url)["rscd"], query(url)["rsct"]) == ("attachment", "text/csv")
    with pytest.raises(SignerOptionError, match="applies to GET"):
        sign(profile(), method="PUT", signer_options={"content_disposition": "attachment"})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"expires_in": 0}, "between 1 and 604800"),
        ({"expires_in": 7 * 86400 + 1}, r"between 1 and 604800 seconds \(7 days, the most .* Azure user delegation key allows\)"),
        ({"expires_in": "900"}, "whole number"),
        ({"key_pair_id": "K123"}, "unknown signer option 'key_pair_id'"),  # a CloudFront option
        ({"content_type": "text/plain"}, "unknown signer option 'content_type'"),  # an S3 option
    ],
)
def test_bad_signer_options_are_refused(options, message):
    with pytest.raises(SignerOptionError, match=message):
        sign(profile(), signer_options=options)


def test_presign_defaults_for_a_signer_azure_lacks_are_an_error():
    raw = {**profile(), "presign": {"cloudfront": {"key_pair_id": "K123", "domain": "d.example.net"}}}
    with pytest.raises(msc.ConfigParseError, match="presign.cloudfront does not apply to 'azure' storage, whose signers are azure"):
        sign(raw)
    assert SECRET not in str(pytest.raises(msc.ConfigParseError, sign, raw).value)
    assert sign({**profile(), "presign": {"azure": {"expires_in": 60}}}).expires_in == 60  # its own section applies
    s3 = {"storage_provider": {"type": "s3", "options": {"base_path": "b", "region_name": "us-east-1"}},
          "credentials_provider": {"type": "S3Credentials", "options": {"access_key": "A", "secret_key": "S"}},
          "presign": {"azure": {"expires_in": 60}}}  # fmt: skip
    with pytest.raises(msc.ConfigParseError, match="presign.azure does not apply to 's3' storage, whose signers are s3, cloudfront"):
        sign(s3)


def test_seven_days_is_the_longest():
    assert sign(profile(), signer_options={"expires_in": timedelta(days=7)}).expires_in == 7 * 86400


def test_methods_other_than_get_put_head_are_refused():
    with pytest.raises(SignerOptionError, match="use one of GET, PUT, HEAD"):
        sign(profile(), method="DELETE")


def test_cloudfront_signer_type_is_not_available():
    with pytest.raises(SignerOptionError, match="not available for 'azure'"):
        sign(profile(), signer_type="cloudfront")


@pytest.mark.parametrize("path", ["*", "datasets/ocean.zarr/*"])
def test_trailing_wildcard_says_what_is_possible(path):
    with pytest.raises(SignerOptionError, match="covers one blob.*share_prefix") as caught:
        sign(profile(), path)
    assert caught.value.field == "path"


def test_star_inside_a_name_is_an_ordinary_character():
    assert str(sign(profile(), "a*b/c*.txt")).startswith(f"{ENDPOINT}/data/pre/a%2Ab/c%2A.txt?")


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        (None, "needs a credentials_provider"),
        ("", "set options.connection"),
        (f"AccountName=acct;AccountKey: {SECRET.rstrip('=')}", "part 2 is not Name=value"),  # ':' typed for '='
        (f"AccountName=acct;AccountKey={SECRET};{SECRET.rstrip('=')}", "part 3 is not Name=value"),
        (f"AccountName=acct;={SECRET}", "part 2 is not Name=value"),
        ("AccountName=acct;BlobEndpoint=x", r"has no AccountKey \(it has AccountName, BlobEndpoint\)"),
        (f"BlobEndpoint=x;SharedAccessSignature=sv=2024&sig={SECRET}", "only a SharedAccessSignature"),
        ("AccountName=acct;AccountKey=not*base64!" + SECRET, "AccountKey is not base64"),
    ],
)
def test_connection_string_errors_never_echo_the_key(connection, message):
    with pytest.raises((ConfigParseError, CredentialsError)) as caught:
        sign(profile(connection=connection))
    assert caught.match(message)
    assert SECRET not in str(caught.value) and SECRET[:12] not in str(caught.value)


def test_connection_string_for_another_account_is_refused():
    with pytest.raises(ConfigParseError, match="names account 'other' but the connection string is for 'acct'"):
        sign(profile(endpoint_url="http://127.0.0.1:9/other"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"endpoint_url": None}, "set storage_provider.options.endpoint_url"),
        ({"endpoint_url": "127.0.0.1:10000/acct"}, "set storage_provider.options.endpoint_url"),
        ({"base_path": None}, "base_path to CONTAINER or CONTAINER/PREFIX"),
        ({"base_path": "Data"}, "'Data' is not a valid container name"),
        ({"base_path": "ab/x"}, "'ab' is not a valid container name"),
    ],
)
def test_provider_option_errors(options, message):
    with pytest.raises(ConfigParseError, match=message):
        sign(profile(**options))


def test_an_unknown_provider_option_warns_once_and_signing_goes_on():
    """MSC passes unknown provider options through, so a config MSC loads signs here too."""
    import msc_notebook as msc

    with pytest.warns(msc.IgnoredOptionWarning, match="option 'azure_tier_hint' is not used for signing"):
        assert sign(profile(azure_tier_hint="hot"))


def test_msc_io_options_are_accepted():
    raw = profile(multipart_threshold=1, max_concurrency=2, validate_content=False, retry_total=1, read_timeout=5)
    assert sign(raw)


def test_other_credential_types_are_refused():
    raw = profile(credentials={"type": "S3Credentials", "options": {"access_key": "A", "secret_key": "S"}})
    with pytest.raises(
        ConfigParseError, match="cannot sign Azure URLs; use AzureCredentials or DefaultAzureCredentials"
    ):
        sign(raw)
    raw = profile(credentials={"type": "AzureCredentials", "options": {"connection": CONNECTION, "account_key": "x"}})
    with pytest.raises(ConfigParseError, match="1 unknown option .not shown") as caught:
        sign(raw)
    assert "account_key" not in str(caught.value)


def test_default_azure_credentials_need_an_account_in_the_endpoint():
    raw = profile(endpoint_url="https://127.0.0.1:9", credentials={"type": "DefaultAzureCredentials"})
    with pytest.raises(ConfigParseError, match="cannot tell the storage account"):
        client_for(raw).signer()


@pytest.mark.parametrize(
    ("endpoint", "account"),
    [
        ("https://myacct.blob.core.windows.net", "myacct"),
        ("https://myacct.blob.core.windows.net/", "myacct"),
        ("http://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1"),  # not "127", as MSC 1.3.1 says
        ("http://localhost:10000/devstoreaccount1/", "devstoreaccount1"),
        ("http://azurite:10000/devstoreaccount1", "devstoreaccount1"),
        ("http://[::1]:10000/devstoreaccount1", "devstoreaccount1"),
        ("http://127.0.0.1:10000", None),
    ],
)
def test_account_name_from_endpoint(endpoint, account):
    assert account_name_from_endpoint(endpoint) == account


def test_nothing_secret_in_reprs_or_results():
    client = client_for(profile())
    url = client.generate_presigned_url("f.txt", warn=False)
    texts = [repr(client), repr(client.config), repr(client.signer()), repr(client.signer()._credentials), repr(url)]
    texts += [repr(url.details), repr(client.signer().credentials())]
    assert not [text for text in texts if SECRET in text or SECRET[:12] in text]
    assert client.signer().credentials() == CredentialStatus("acct", "account key (connection string)", None)


def test_without_the_extra_the_error_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.storage.blob", None)  # what a missing package looks like to import
    with pytest.raises(UnsupportedProviderError, match=r"pip install 'msc-notebook\[azure\]'"):
        sign(profile())


# --- the delegation key renewal rule (a unit: the fetch is a stand-in for the service) ---

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


class KeyService:
    """Issues keys as the service would: until the asked expiry, or at most ``cap`` after ``now``."""

    def __init__(self, cap: timedelta | None = None, delay: float = 0.0) -> None:
        self.cap, self.delay, self.requests = cap, delay, []

    def __call__(self, start: datetime, expiry: datetime):
        time.sleep(self.delay)
        self.requests.append((start, expiry))
        if self.cap is not None:
            expiry = min(expiry, start + azure_credentials.DELEGATION_KEY_BACKDATE + self.cap)
        return SimpleNamespace(signed_expiry=expiry.strftime("%Y-%m-%dT%H:%M:%SZ"))


def test_a_key_is_asked_for_the_longest_life_the_service_allows():
    service = KeyService()
    key, expiry = DelegationKeyCache(service).key_for(T0, T0 + timedelta(hours=1))
    [(start, asked)] = service.requests
    assert asked == T0 + timedelta(days=7) - timedelta(minutes=5) == expiry
    assert start < T0  # backdated: a service clock a little behind ours accepts it at once


def test_the_cached_key_serves_every_url_it_outlives():
    service = KeyService()
    cache = DelegationKeyCache(service)
    first = cache.key_for(T0, T0 + timedelta(hours=1))
    for hours in (1, 24, 72, 160):  # days later, a 1-hour URL still fits in the key
        now = T0 + timedelta(hours=hours)
        assert cache.key_for(now, now + timedelta(hours=1)) == first
    assert len(service.requests) == 1


def test_a_url_that_would_outlive_the_key_gets_a_new_one():
    service = KeyService()
    cache = DelegationKeyCache(service)
    cache.key_for(T0, T0 + timedelta(hours=1))
    now = T0 + timedelta(days=6, hours=23)  # MSC 1.3.1 would reuse this key: 55 min left > 5 min
    _, expiry = cache.key_for(now, now + timedelta(hours=1))
    assert len(service.requests) == 2 and expiry >= now + timedelta(hours=1)


def test_a_capped_service_is_not_asked_again_within_the_same_second():
    service = KeyService(cap=timedelta(seconds=10))
    cache = DelegationKeyCache(service)
    _, expiry = cache.key_for(T0, T0 + timedelta(hours=1))
    assert expiry == T0 + timedelta(seconds=10)
    cache.key_for(T0 + timedelta(milliseconds=500), T0 + timedelta(hours=1))
    assert len(service.requests) == 1
    cache.key_for(T0 + timedelta(seconds=1), T0 + timedelta(hours=1, seconds=1))
    assert len(service.requests) == 2


def test_concurrent_first_use_requests_one_key():
    service = KeyService(delay=0.2)
    cache = DelegationKeyCache(service)
    results, barrier = [], threading.Barrier(12)

    def use():
        barrier.wait()
        results.append(cache.key_for(T0, T0 + timedelta(hours=1)))

    threads = [threading.Thread(target=use) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(service.requests) == 1 and len(results) == 12 and len({id(key) for key, _ in results}) == 1


def test_default_azure_credentials_without_azure_identity_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.identity", None)
    raw = profile(endpoint_url="https://127.0.0.1:9/acct", credentials={"type": "DefaultAzureCredentials"})
    with pytest.raises(UnsupportedProviderError, match=r"needs azure-identity: pip install 'msc-notebook\[azure\]'"):
        client_for(raw).signer()


def test_default_azure_credentials_need_https():
    with pytest.raises(ConfigParseError, match="DefaultAzureCredentials needs an https endpoint_url"):
        client_for(profile(credentials={"type": "DefaultAzureCredentials"})).signer()


def test_default_azure_credentials_options_go_to_azure_identity():
    raw = profile(
        endpoint_url="https://127.0.0.1:9/acct",
        credentials={"type": "DefaultAzureCredentials", "options": {"no_such_option": 1}},
    )
    signer = client_for(raw).signer()  # azure-identity takes unknown keywords and ignores them, as in MSC
    assert signer.account_name == "acct"


@pytest.mark.parametrize("kind", ["account key", "user delegation key"])
def test_the_bulk_sas_path_makes_exactly_the_sdks_tokens(kind):
    import random
    from datetime import datetime, timezone

    from azure.storage.blob import UserDelegationKey, generate_blob_sas

    from msc_notebook.azure._bulk import sas_tokens

    if kind == "account key":
        key = {"account_key": SECRET}
    else:
        delegation = UserDelegationKey()
        delegation.signed_oid, delegation.signed_tid = "0000-oid", "0000-tid"
        delegation.signed_start, delegation.signed_expiry = "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z"
        delegation.signed_service, delegation.signed_version, delegation.value = "b", "2025-01-05", SECRET
        key = {"user_delegation_key": delegation}
    generator = random.Random(5)
    alphabet = "abcXYZ019 -_.~!$&'()*+,;=:@/%?#[]üé✓"
    blobs = ["".join(generator.choice(alphabet) for _ in range(generator.randint(1, 30))) for _ in range(2000)]
    arguments = {"permission": "r", "expiry": datetime(2026, 12, 3, 12, 0, 0, tzinfo=timezone.utc), "protocol": "https",
                 **key}  # fmt: skip
    expected = [generate_blob_sas("acct", "data", blob, **arguments) for blob in blobs]
    assert sas_tokens(generate_blob_sas, "acct", "data", blobs, arguments) == expected


def test_the_bulk_sas_path_turns_itself_off_when_the_sdk_signs_otherwise():
    from msc_notebook.azure._bulk import sas_tokens

    calls = []

    def odd_sdk(account, container, blob, sts_hook=None, **arguments):  # a "future SDK" whose sig is not last
        calls.append(blob)
        if sts_hook:
            sts_hook(f"r\n\n/blob/{account}/{container}/{blob}\n")
        return f"sig=abc{blob}&sv=2099"

    assert sas_tokens(odd_sdk, "acct", "data", ["a", "b", "c"], {"account_key": SECRET}) == [
        "sig=abca&sv=2099", "sig=abcb&sv=2099", "sig=abcc&sv=2099"]  # fmt: skip
    assert calls == ["a", "b", "c"]  # the SDK signed every one
