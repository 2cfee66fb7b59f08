"""The hand-written SigV4 path makes the very URLs botocore makes, byte for byte, and
leaves to botocore every configuration it does not cover.

The differential test draws 3,360 cases from a seeded generator (the same cases on
every run; change SEED to draw others): keys with unicode, spaces, every printable ASCII character, control
characters, ``//``, leading and trailing slashes, up to 1,024 bytes; every addressing
style; AWS and custom endpoints with ports and paths; many regions; with and without
session tokens; GET/PUT/HEAD with their options; a random signing instant per case.
"""

from __future__ import annotations

import random
import string
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials

import msc_notebook as msc
from msc_notebook.core import _times as times
from msc_notebook.s3 import _sigv4 as sigv4
from msc_notebook.s3._sigv4 import BucketPresigner

SEED = 20260314
CASES_PER_CONFIG = 60  # x 48 configurations: 2,880 single URLs (each awkward key in each), plus 480 bulk
BULK_KEYS_PER_CONFIG = 10
MAX_KEY_BYTES = 1024

ENDPOINTS = [
    None,  # AWS, chosen by botocore from the region
    "http://127.0.0.1:9000",
    "http://localhost:8333",
    "https://s3.example.com",
    "https://S3.Example.COM:8443/base/path",
    "http://minio.internal:9000/",
    "https://storage.googleapis.com",
    "https://gateway.example.org:443/s3/v1/",
    "http://10.0.0.7:80",
]
STYLES = [None, "auto", "path", "virtual"]
REGIONS = [
    None, "us-east-1", "us-east-2", "us-west-2", "eu-central-1", "eu-west-3", "ap-southeast-2", "ap-northeast-1",
    "sa-east-1", "ca-central-1", "me-south-1", "af-south-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1",
    "auto", "garage",
]  # fmt: skip
BUCKETS = ["my-bucket", "data.example.com", "123-numeric", "a.b-c", "x" * 63, "abc", "msc-test-bucket"]
ACCESS_KEYS = ["AKIAIOSFODNN7EXAMPLE", "ASIAXAMPLE0000000001", "GOOG1EXAMPLE", "minioadmin"]

PRINTABLE = string.printable[:95]  # space and every printable ASCII character
UNICODE = "äöüßéèñçøåЖДЯжд数据日本語한국어😀🚀𝔘\u00a0\u2028\u200b\ufeff\u0301"
CONTROL = "\t\n\r\x00\x01\x1f\x7f"
AWKWARD_KEYS = [
    PRINTABLE,
    "a b/c+d?e#f%g~h/ünï//x",
    "/leading/slash",
    "trailing/slash/",
    "//double//slashes//",
    "/",
    "percent%20literal%",
    "unicodé/данные/数据.txt",
    "?",
    "#",
    "..",
    "./a/../b",
    "ä" * (MAX_KEY_BYTES // 2),
    "k" * MAX_KEY_BYTES,
]
CONTENT_TYPES = [
    "application/octet-stream",
    "text/plain; charset=utf-8",
    "  padded   with  spaces  ",
    "tab\tseparated",
    "application/x-www-form-urlencoded; charset=utf-8",  # botocore leaves this one unsigned
    "application/x-www-form-urlencoded",
    "tëxt/ünïcode",
]


def _text(rng: random.Random, length: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


# Characters a key is drawn from, and how often (mostly printable ASCII).
KEY_ALPHABET = list(PRINTABLE + UNICODE + "/" + CONTROL)
KEY_WEIGHTS = (
    [6 / len(PRINTABLE)] * len(PRINTABLE) + [2 / len(UNICODE)] * len(UNICODE) + [2] + [1 / len(CONTROL)] * len(CONTROL)
)


def random_key(rng: random.Random) -> str:
    """A key of 1 ... 1,024 UTF-8 bytes, mostly printable ASCII, with unicode, controls and slashes."""
    length = rng.choices(
        [rng.randint(1, 12), rng.randint(1, 60), rng.randint(1, 200), rng.randint(1, MAX_KEY_BYTES)],
        weights=[3, 3, 2, 1],
    )[0]
    key = "".join(rng.choices(KEY_ALPHABET, KEY_WEIGHTS, k=length))
    if rng.random() < 0.1:
        key = "/" + key
    if rng.random() < 0.1:
        key += "/"
    if rng.random() < 0.1:
        key = key.replace("/", "//", 1) if "/" in key else key + "//x"
    while len(key.encode("utf-8")) > MAX_KEY_BYTES:
        key = key[:-1]
    return key or "k"


def random_request(rng: random.Random) -> tuple[str, str, dict[str, str]]:
    """(boto3 client method, HTTP method, options) for one case."""
    method = rng.choice(["GET", "GET", "PUT", "HEAD"])
    params: dict[str, str] = {}
    if method == "GET":
        names = [n for n in ("ResponseContentDisposition", "ResponseContentType") if rng.random() < 0.4]
        rng.shuffle(names)  # botocore keeps the caller's order in the URL
        for name in names:
            params[name] = _text(rng, rng.randint(1, 60), PRINTABLE + UNICODE + "\t")
    elif method == "PUT" and rng.random() < 0.6:
        params["ContentType"] = rng.choice(CONTENT_TYPES + [_text(rng, rng.randint(1, 40), PRINTABLE + UNICODE)])
    client_method = {"GET": "get_object", "PUT": "put_object", "HEAD": "head_object"}[method]
    return client_method, method, params


def random_instant(rng: random.Random) -> datetime:
    """Any second from 2020 to 2035; often one either side of midnight (a new signing key)."""
    day = datetime(2020, 1, 1) + timedelta(days=rng.randrange(16 * 365))
    if rng.random() < 0.3:
        return day - timedelta(seconds=rng.randint(0, 1))
    return day + timedelta(seconds=rng.randrange(86400))


def configurations(rng: random.Random) -> list[dict]:
    """Every endpoint with every addressing style, plus more at random; regions, buckets,
    credentials and session tokens drawn for each."""
    pairs = [(endpoint, style) for endpoint in ENDPOINTS for style in STYLES]
    pairs += [(rng.choice(ENDPOINTS), rng.choice(STYLES)) for _ in range(12)]
    configs = []
    for endpoint, style in pairs:
        token = rng.choice([None, "FwoGZXIvYXdzEJr//////////wEaDOPx+==", _text(rng, 300, string.ascii_letters + "+/=")])
        configs.append({
            "endpoint_url": endpoint,
            "addressing_style": style,
            "region_name": rng.choice(REGIONS),
            "bucket": rng.choice(BUCKETS),
            "credentials": ReadOnlyCredentials(
                rng.choice(ACCESS_KEYS), _text(rng, 40, string.ascii_letters + string.digits + "+/"), token
            ),
        })  # fmt: skip
    return configs


def boto3_client(config: dict):
    credentials = config["credentials"]
    style = config["addressing_style"]
    return boto3.client(
        "s3",
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        region_name=config["region_name"],
        endpoint_url=config["endpoint_url"],
        config=Config(signature_version="s3v4", s3={"addressing_style": style} if style else None),
    )


class FrozenBotocoreClock:
    """botocore's SigV4 clock, set per case (it reads naive UTC)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = datetime(2026, 3, 14, 15, 9, 26)
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: self.now)

    @property
    def aware(self) -> datetime:
        return self.now.replace(tzinfo=timezone.utc)


@pytest.fixture
def botocore_clock(monkeypatch) -> FrozenBotocoreClock:
    return FrozenBotocoreClock(monkeypatch)


def test_thousands_of_urls_equal_botocore_byte_for_byte(botocore_clock):
    rng = random.Random(SEED)
    checked, mismatches = 0, []
    for config in configurations(rng):
        client = boto3_client(config)
        bucket, credentials = config["bucket"], config["credentials"]
        presigner = BucketPresigner.for_client(client, bucket, credentials)
        assert presigner is not None, f"the fast path should cover {config}"
        keys = AWKWARD_KEYS + [random_key(rng) for _ in range(CASES_PER_CONFIG - len(AWKWARD_KEYS))]
        for key in keys:
            client_method, method, params = random_request(rng)
            expires_in = rng.choice([1, 60, 3600, 604800, rng.randint(1, 604800)])
            botocore_clock.now = random_instant(rng)
            expected = client.generate_presigned_url(
                client_method, Params={"Bucket": bucket, "Key": key, **params}, ExpiresIn=expires_in, HttpMethod=method
            )
            ours = presigner.presign(
                credentials, key, method=method, expires_in=expires_in, signed_at=botocore_clock.aware, params=params
            )
            checked += 1
            if ours != expected:
                mismatches.append((config, key, method, params, expected, ours))
        # The bulk path: GET URLs for many keys at one instant.
        botocore_clock.now = random_instant(rng)
        expires_in = rng.randint(1, 604800)
        keys = rng.sample(keys, BULK_KEYS_PER_CONFIG)
        bulk = presigner.presign_many(credentials, keys, expires_in=expires_in, signed_at=botocore_clock.aware)
        for key, ours in zip(keys, bulk, strict=True):
            expected = client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
            )
            checked += 1
            if ours != expected:
                mismatches.append((config, key, "GET (bulk)", {}, expected, ours))
    assert checked == 48 * (CASES_PER_CONFIG + BULK_KEYS_PER_CONFIG)
    assert not mismatches, f"{len(mismatches)} of {checked} URLs differ, e.g. {mismatches[0]}"


def _sigv4_config(options: dict, *, session_token: str | None = None) -> msc.StorageClientConfig:
    credentials = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
    if session_token:
        credentials["session_token"] = session_token
    return msc.StorageClientConfig.from_dict(
        {"profiles": {"p": {"storage_provider": {"type": "s3", "options": options},
                            "credentials_provider": {"type": "S3Credentials", "options": credentials}}}},
        "p",
    )  # fmt: skip


def _count_botocore_presigns(signer, monkeypatch) -> list[str]:
    """Record each botocore presign the signer's signing client makes (the probes and botocore's
    URLs: it signs with the credentials of the load), still making it."""
    calls: list[str] = []
    client = signer._signing_client(signer._credentials.current()[1])
    original = client.generate_presigned_url

    def counted(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "generate_presigned_url", counted)
    return calls


@pytest.mark.parametrize("session_token", [None, "FwoGZXIvYXdzEJr//////////wEaDOPx+=="])
def test_the_s3_signer_signs_on_the_fast_path_once_proven(botocore_clock, monkeypatch, session_token, clock):
    options = {"base_path": "my-bucket/pre fix", "region_name": "eu-central-1",
               "endpoint_url": "https://s3.example.com:8443/gw", "s3": {"addressing_style": "path"}}  # fmt: skip
    storage = msc.StorageClient(_sigv4_config(options, session_token=session_token))
    signer = storage.signer()
    botocore_presigns = _count_botocore_presigns(signer, monkeypatch)
    clock(lambda: botocore_clock.aware.replace(microsecond=123456))
    first = storage.generate_presigned_url("a b/ünï.bin")
    assert len(botocore_presigns) == len(sigv4._PROBES)  # the probes that proved the fast path
    urls = [
        storage.generate_presigned_url("a b/ünï.bin"),
        storage.generate_presigned_url("up load", method="PUT", signer_options={"content_type": "text/csv"}),
        storage.generate_presigned_url("x", method="HEAD"),
        storage.generate_presigned_url("y", signer_options={"content_disposition": "inline", "expires_in": 60}),
    ]
    assert len(botocore_presigns) == len(sigv4._PROBES)  # no botocore presign after the probes
    assert first == urls[0] and first.signed_at == botocore_clock.aware  # whole seconds, as X-Amz-Date
    expected = [
        ("get_object", "GET", {"Key": "pre fix/a b/ünï.bin"}, 3600),
        ("put_object", "PUT", {"Key": "pre fix/up load", "ContentType": "text/csv"}, 3600),
        ("head_object", "HEAD", {"Key": "pre fix/x"}, 3600),
        ("get_object", "GET", {"Key": "pre fix/y", "ResponseContentDisposition": "inline"}, 60),
    ]
    for url, (client_method, method, params, expires_in) in zip(urls, expected, strict=True):
        theirs = signer.client().generate_presigned_url(
            client_method, Params={"Bucket": "my-bucket", **params}, ExpiresIn=expires_in, HttpMethod=method
        )
        assert str(url) == theirs


def test_first_use_from_many_threads_probes_once(botocore_clock, monkeypatch, clock):
    clock(lambda: botocore_clock.aware)
    storage = msc.StorageClient(_sigv4_config({"base_path": "my-bucket", "region_name": "us-west-2"}))
    signer = storage.signer()
    botocore_presigns = _count_botocore_presigns(signer, monkeypatch)
    paths = [f"t{i}/ü x" for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        urls = list(pool.map(storage.generate_presigned_url, paths))
    assert len(botocore_presigns) == len(sigv4._PROBES)
    assert urls == [
        signer.client().generate_presigned_url("get_object", Params={"Bucket": "my-bucket", "Key": p}) for p in paths
    ]


def test_sign_many_signs_every_path_at_one_instant(botocore_clock):
    storage = msc.StorageClient(_sigv4_config({"base_path": "my-bucket/data.zarr", "region_name": "us-west-2"}))
    signer = storage.signer()
    paths = [f"temp/c/{i // 10}/{i % 10}" for i in range(100)] + ["zarr.json", "with space/ü"]
    urls = signer.sign_many(paths, expires_in=900, signed_at=botocore_clock.aware)
    assert urls == [
        signer.client().generate_presigned_url("get_object", Params={"Bucket": "my-bucket", "Key": f"data.zarr/{p}"},
                                               ExpiresIn=900)
        for p in paths
    ]  # fmt: skip
    assert signer._presigner is not None


def test_sign_many_checks_expires_in():
    signer = msc.StorageClient(_sigv4_config({"base_path": "b-1", "region_name": "us-east-1"})).signer()
    with pytest.raises(msc.SignerOptionError, match="expires_in"):
        signer.sign_many(["a"], expires_in=8 * 86400, signed_at=times.utcnow())


def test_the_signing_key_is_derived_once_per_date_and_credentials(botocore_clock, monkeypatch):
    credentials = ReadOnlyCredentials("AKIAIOSFODNN7EXAMPLE", "secret", None)
    config = {"endpoint_url": None, "addressing_style": None, "region_name": "us-west-2", "bucket": "b-1",
              "credentials": credentials}  # fmt: skip
    presigner = BucketPresigner.for_client(boto3_client(config), "b-1", credentials)
    derived = []

    class CountedSigning(sigv4._Signing):
        __slots__ = ()

        def __init__(self, credentials, date, region):
            super().__init__(credentials, date, region)
            derived.append((credentials.secret_key, date))

    monkeypatch.setattr(sigv4, "_Signing", CountedSigning)
    day = datetime(2026, 5, 1, 23, 59, 58, tzinfo=timezone.utc)
    presigner.presign_many(credentials, [f"k{i}" for i in range(1000)], expires_in=60, signed_at=day)
    for second in range(4):  # two either side of midnight
        presigner.presign(credentials, "k", method="GET", expires_in=60, signed_at=day + timedelta(seconds=second))
    rotated = ReadOnlyCredentials("AKIAIOSFODNN7EXAMPLE", "rotated", "token")
    presigner.presign(rotated, "k", method="GET", expires_in=60, signed_at=day + timedelta(seconds=3))
    assert derived == [("secret", "20260501"), ("secret", "20260502"), ("rotated", "20260502")]


def test_presigner_refuses_what_it_cannot_sign(botocore_clock):
    config = {"endpoint_url": None, "addressing_style": None, "region_name": "us-east-1", "bucket": "b-1",
              "credentials": ReadOnlyCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG", None)}  # fmt: skip
    presigner = BucketPresigner.for_client(boto3_client(config), "b-1", config["credentials"])
    sign = presigner.presign
    with pytest.raises(ValueError, match="timezone-aware"):
        sign(config["credentials"], "k", method="GET", expires_in=60, signed_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="at least one character"):
        sign(config["credentials"], "", method="GET", expires_in=60, signed_at=botocore_clock.aware)
    with pytest.raises(ValueError, match="ResponseExpires"):
        sign(config["credentials"], "k", method="GET", expires_in=60, signed_at=botocore_clock.aware,
             params={"ResponseExpires": "x"})  # fmt: skip
    assert "wJalr" not in repr(presigner)


# Configurations the fast path leaves to botocore: (client settings, bucket, environment).
FALLBACKS = {
    "accelerate": ({"s3": {"use_accelerate_endpoint": True}}, "my-bucket", {}),
    "dual-stack (s3 option)": ({"s3": {"use_dualstack_endpoint": True}}, "my-bucket", {}),
    "dual-stack (environment)": ({}, "my-bucket", {"AWS_USE_DUALSTACK_ENDPOINT": "true"}),
    "FIPS (config)": ({"use_fips_endpoint": True}, "my-bucket", {}),
    "FIPS (environment)": ({}, "my-bucket", {"AWS_USE_FIPS_ENDPOINT": "true"}),
    "FIPS (region)": ({"region_name": "fips-us-gov-west-1"}, "my-bucket", {}),
    "SigV2": ({"signature_version": "s3"}, "my-bucket", {}),
    "upper case bucket": ({}, "My-Bucket", {}),
    "underscore bucket": ({}, "my_bucket", {}),
    "bucket too short": ({}, "ab", {}),
    "bucket with ..": ({}, "a..b", {}),
    "S3 Express directory bucket": ({}, "data--usw2-az1--x-s3", {}),
    "access point ARN": ({}, "arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap", {}),
    "IPv6 endpoint": ({"endpoint_url": "http://[::1]:9000"}, "my-bucket", {}),
    "user info in the endpoint": ({"endpoint_url": "http://user:pass@s3.example.com"}, "my-bucket", {}),
    "endpoint path to encode": ({"endpoint_url": "http://s3.example.com/a%20b"}, "my-bucket", {}),
    "endpoint botocore refuses": ({"endpoint_url": "http://s3.example.com/p?x=1"}, "my-bucket", {}),
}


@pytest.mark.parametrize("settings, bucket, environment", FALLBACKS.values(), ids=FALLBACKS.keys())
def test_configurations_outside_the_fast_path_go_to_botocore(monkeypatch, settings, bucket, environment):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = {"region_name": "us-west-2", "signature_version": "s3v4", **settings}
    client = boto3.client(
        "s3",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="secret",
        region_name=settings.pop("region_name"),
        endpoint_url=settings.pop("endpoint_url", None),
        config=Config(**settings),
    )
    assert (
        BucketPresigner.for_client(client, bucket, ReadOnlyCredentials("AKIAIOSFODNN7EXAMPLE", "secret", None)) is None
    )


def test_a_url_botocore_makes_differently_turns_the_fast_path_off():
    client = boto3.client("s3", aws_access_key_id="AK", aws_secret_access_key="SK", region_name="us-east-1",
                          config=Config(signature_version="s3v4"))  # fmt: skip

    def add_a_signed_header(request, **_):  # as a plugin or a future botocore might
        request.headers["x-amz-meta-plugin"] = "1"

    client.meta.events.register("before-sign.s3.PutObject", add_a_signed_header)
    assert BucketPresigner.for_client(client, "my-bucket", ReadOnlyCredentials("AK", "SK", None)) is None


def test_the_s3_signer_falls_back_to_botocore(botocore_clock, monkeypatch, clock):
    clock(lambda: botocore_clock.aware)
    options = {"base_path": "my-bucket/p", "region_name": "us-west-2", "s3": {"use_accelerate_endpoint": True}}
    storage = msc.StorageClient(_sigv4_config(options))
    url = storage.generate_presigned_url("a b.bin", method="PUT", signer_options={"content_type": "text/csv"})
    signer = storage.signer()
    assert signer._presigner is None
    assert url.startswith("https://my-bucket.s3-accelerate.amazonaws.com/p/a%20b.bin?")
    assert url == signer.client().generate_presigned_url(
        "put_object", Params={"Bucket": "my-bucket", "Key": "p/a b.bin", "ContentType": "text/csv"}, HttpMethod="PUT"
    )
    assert signer.sign_many(["x", "y"], expires_in=60, signed_at=botocore_clock.aware) == [
        signer.client().generate_presigned_url("get_object", Params={"Bucket": "my-bucket", "Key": k}, ExpiresIn=60)
        for k in ("p/x", "p/y")
    ]
