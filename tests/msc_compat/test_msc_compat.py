"""Drop-in behaviour, checked against MSC 1.3.1 itself (tests/support/msc_oracle.py runs it, clock frozen):
${VAR} expansion, path_mapping and implicit profiles for s3://, base_path "", msc:/ and leading '/',
include, ais_s3 without credentials, metadata providers, and MSC's StorageClientConfig constructors.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest
import requests
import yaml
from conftest import BUCKET, seaweed_profile
from support import msc_oracle

import msc_notebook as msc

pytestmark = pytest.mark.e2e  # slow: runs MSC 1.3.1 itself, in child processes

FROZEN = datetime(2026, 2, 3, 4, 5, 6)  # naive UTC, as botocore's clock


def _static(base_path: str, access_key: str = "AKIASTATIC", **options) -> dict:
    return {
        "storage_provider": {"type": "s3", "options": {"base_path": base_path, "region_name": "us-east-1", **options}},
        "credentials_provider": {"type": "S3Credentials", "options": {"access_key": access_key, "secret_key": "s"}},
    }


@pytest.fixture
def frozen(monkeypatch, clock):
    clock(FROZEN.replace(tzinfo=timezone.utc))


def _msc(jobs: list[dict]) -> list[dict]:
    return msc_oracle.run(jobs, FROZEN, dict(os.environ))


def _ours(url: str, method: str = "GET") -> dict:
    try:
        return {"ok": str(msc.generate_presigned_url(url, method=method))}
    except msc.PresignError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}


def _same_urls(config_path, urls: list[str]) -> list[tuple[str, str]]:
    """Sign each URL with MSC's shortcut and ours; return (MSC's URL, ours) pairs, both must sign."""
    theirs = _msc([{"msc_config": str(config_path), "url": url, "methods": ["GET"]} for url in urls])
    pairs = []
    for url, result in zip(urls, theirs, strict=True):
        assert "ok" in result["urls"][0], f"MSC refused {url}: {result}"
        ours = _ours(url)
        assert "ok" in ours, f"we refused {url}: {ours}"
        pairs.append((result["urls"][0]["ok"], ours["ok"]))
    return pairs


def test_env_expansion_is_msc_s_exactly(monkeypatch):
    env = {"A": "x", "HAS_DOLLAR_NAME": "$C", "TWO": "$$", "EMPTY_BRACES": "${}", "SPACE": "a b"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    values = ["pa$$word", "pa$$", "$$-$$1", "$A", "${A}b", "$$A", "$5", "${}", "a$", "$é", "$HAS_DOLLAR_NAME",
              "$UNSET_X", "${UNSET_X}", "$TWO$TWO", "$EMPTY_BRACES", "${A", "${A B}", "$A$A", "${SPACE}", "$-", "$ A",
              "\\$A", "$A_", "${A}_$A", "$", "$$$", "x${", "${{A}}"]  # fmt: skip
    theirs = _msc([{"expand": values}])[0]["values"]
    for value, their in zip(values, theirs, strict=True):
        config = {"profiles": {"p": _static(value)}}
        try:
            ours = {"ok": msc.StorageClientConfig.from_dict(config, "p").provider_options["base_path"]}
        except msc.MissingEnvironmentVariableError:
            ours = {"error": "ValueError"}
        assert ours == {k: v for k, v in their.items() if k != "message"}, value


def test_s3_urls_resolve_through_path_mapping_as_in_msc(write_config, frozen):
    path = write_config(
        {"whole": _static("bucket1", "AKIAWHOLE"), "deep": _static("other-bucket/deeper", "AKIADEEP"),
         "named": _static("named", "AKIANAMED")},
        path_mapping={"s3://bucket1/": "msc://whole/", "s3://bucket1/a/b/": "msc://deep/",
                      "s3://named/": "msc://named/"},
    )  # fmt: skip
    urls = ["s3://bucket1/a/b/c.bin", "s3://bucket1/a/x.bin", "s3://bucket1/a/bc/k", "s3://named/k",
            "s3://bucket2/k", "s3://bucket1/a/b//c.bin"]  # fmt: skip
    os.environ.update(AWS_ACCESS_KEY_ID="AKIADEFAULT", AWS_SECRET_ACCESS_KEY="d")  # the implicit _s3-bucket2
    pairs = _same_urls(path, urls)
    for theirs, ours in pairs:
        assert ours == theirs
    credentials = [ours.split("X-Amz-Credential=")[1].split("%2F")[0] for _, ours in pairs]
    assert credentials == ["AKIADEEP", "AKIAWHOLE", "AKIAWHOLE", "AKIANAMED", "AKIADEFAULT", "AKIADEEP"]
    assert "/a/bc/k?" in pairs[2][1]  # a prefix matches whole segments only because sources end in '/' 
    assert pairs[0][1].startswith("https://other-bucket.s3.amazonaws.com/deeper/c.bin?")
    result = msc.generate_presigned_url("s3://bucket1/a/b/c.bin")
    assert result.source == "s3://bucket1/a/b/c.bin" and result.details.key == "deeper/c.bin"


@pytest.mark.parametrize(
    "mapping, error, match",
    [
        ({"s3://bucket1/": "msc://missing/"}, msc.UnknownProfileError, "'missing'.*known profiles: p"),
        ({"s3://bucket1": "msc://p/"}, msc.ConfigParseError, "source 's3://bucket1' must .* ending in '/'"),
        ({"s3://bucket1/": "msc://p"}, msc.ConfigParseError, r"must be msc://PROFILE/ \(a profile and a trailing"),
        ({"s3://bucket1/": "msc://p/sub/"}, msc.ConfigParseError, "no path.*base_path"),
        (["s3://bucket1/"], msc.ConfigParseError, "'path_mapping' must map"),
    ],
)
def test_bad_path_mapping_is_refused_as_msc_s_schema_does(write_config, mapping, error, match):
    write_config({"p": _static("b")}, path_mapping=mapping)
    with pytest.raises(error, match=match):
        msc.generate_presigned_url("s3://bucket1/k")


def test_empty_base_path_one_slash_leading_slashes_and_include_as_in_msc(write_config, isolated_env, frozen):
    (isolated_env / "more.yaml").write_text(yaml.safe_dump({"profiles": {"p": _static("team-bucket/pre")}}))
    path = write_config({"p": _static("team-bucket/pre"), "root": _static(""), "slash": _static("/")},
                        include=["more.yaml"])  # the same profile twice: MSC accepts it  # fmt: skip
    urls = ["msc://root/team-bucket/k.bin", "msc://slash/team-bucket/d/k.bin", "msc:/p/k.bin", "msc://p//k.bin",
            "msc://p/dir/k.bin"]  # fmt: skip
    for theirs, ours in _same_urls(path, urls):
        assert ours == theirs
    assert msc.StorageClient(msc.StorageClientConfig.from_file("p")).generate_presigned_url("/k.bin") == (
        msc.generate_presigned_url("msc://p/k.bin")
    )
    with pytest.raises(msc.InvalidStorageURLError, match="no bucket in its base_path, so a path is BUCKET/KEY"):
        msc.generate_presigned_url("msc://root/just-a-bucket")


def test_interior_double_slash_is_kept_where_msc_collapses_it(write_config, frozen):
    """The one deliberate difference in paths: 'dir//file' is a legal S3 key, distinct from 'dir/file'."""
    path = write_config({"p": _static("team-bucket")})
    theirs = _msc([{"msc_config": str(path), "url": "msc://p/dir//file.bin", "methods": ["GET"]}])[0]["urls"][0]["ok"]
    ours = msc.generate_presigned_url("msc://p/dir//file.bin")
    assert theirs.startswith("https://team-bucket.s3.amazonaws.com/dir/file.bin?")
    assert ours.startswith("https://team-bucket.s3.amazonaws.com/dir//file.bin?") and ours.details.key == "dir//file.bin"


def test_ais_s3_without_credentials_signs_as_msc_and_says_so(write_config, frozen):
    path = write_config({"ais": {"storage_provider": {"type": "ais_s3", "options": {
        "base_path": "ais-bucket", "endpoint_url": "http://aistore.example:51080/s3"}}}})  # fmt: skip
    [(theirs, ours)] = _same_urls(path, ["msc://ais/shard-0001.tar"])
    assert ours == theirs
    result = msc.generate_presigned_url("msc://ais/shard-0001.tar")
    assert result.details.credential_source.startswith("no credentials")
    assert "FAKEKEY%2F" in result and "FAKESECRET" not in result


def test_metadata_provider_is_refused_for_every_method(write_config, isolated_env):
    # MSC reads the manifest when it loads the profile: local files keep it offline, and MSC's
    # PUT check comes before its provider's.
    path = write_config({"m": {"storage_provider": {"type": "file", "options": {"base_path": str(isolated_env)}},
                               "metadata_provider": {"type": "manifest", "options": {"manifest_path": ".msc_manifests"}}}})  # fmt: skip
    theirs = _msc([{"msc_config": str(path), "url": "msc://m/k", "methods": ["PUT"]}])[0]["urls"][0]
    assert theirs["error"] == "ValueError" and "metadata provider" in theirs["message"]  # MSC refuses PUT too
    for method in ("GET", "HEAD", "PUT"):
        with pytest.raises(msc.UnsupportedProviderError, match=r"metadata_provider \(manifest\).*logical names"):
            msc.generate_presigned_url("msc://m/k", method=method)
    assert msc.StorageClientConfig.from_file("m").metadata_provider == "manifest"  # it loads, as in MSC


def test_from_file_takes_both_argument_orders(write_config, isolated_env):
    path = write_config({"p": _static("team-bucket")})
    other = isolated_env / "missing.yaml"
    for config in (
        msc.StorageClientConfig.from_file("p"),
        msc.StorageClientConfig.from_file("p", config_file_paths=[other, path]),
        msc.StorageClientConfig.from_file(config_file_paths=[other, path], profile="p"),  # MSC's keywords
        msc.StorageClientConfig.from_file([str(other), str(path)], "p"),  # MSC's positional order
        msc.StorageClientConfig.from_file(profile="p", telemetry_provider=None),
        msc.StorageClientConfig.from_file(config_file_paths=[], profile="p"),  # MSC: no paths means search
    ):
        assert (config.profile, config.config_path) == ("p", path.resolve())
    with pytest.raises(ValueError, match="'nope' is not in"):  # MSC raises ValueError for it too
        msc.StorageClientConfig.from_file(profile="nope")
    with pytest.raises(TypeError, match="profile twice"):
        msc.StorageClientConfig.from_file("p", profile="p")
    with pytest.raises(TypeError, match="config_file_paths twice"):
        msc.StorageClientConfig.from_file([path], config_file_paths=[path])


def test_msc_s_default_and_implicit_profiles(write_config, monkeypatch):
    # No profile: MSC's __filesystem__ (local files), which loads and cannot presign, as in MSC.
    posix = msc.StorageClientConfig.from_dict({"profiles": {"p": _static("b")}})
    assert (posix.profile, posix.provider_type) == ("__filesystem__", "file")
    with pytest.raises(NotImplementedError):
        msc.StorageClient(posix).generate_presigned_url("k")
    with pytest.raises(msc.ConfigParseError, match="'__filesystem__' profile is MSC's own"):
        msc.StorageClientConfig.from_dict({"profiles": {"__filesystem__": _static("b")}}, "__filesystem__")
    # _s3-BUCKET without a config file, and without that profile in one.
    monkeypatch.setenv("MSC_CONFIG", "/nonexistent/config.yaml")
    implicit = msc.StorageClientConfig.from_file(profile="_s3-some-bucket")
    assert (implicit.provider_type, dict(implicit.provider_options)) == ("s3", {"base_path": "some-bucket"})
    write_config({"p": _static("b")})
    assert msc.StorageClientConfig.from_file("_s3-x").provider_options["base_path"] == "x"


def test_from_yaml_and_from_json_as_in_msc():
    text = yaml.safe_dump({"profiles": {"p": _static("team-bucket")}})
    assert msc.StorageClientConfig.from_yaml(text, profile="p") == msc.StorageClientConfig.from_json(
        json.dumps({"profiles": {"p": _static("team-bucket")}}), profile="p"
    )
    assert msc.StorageClientConfig.from_yaml("", profile="__filesystem__").provider_type == "file"  # MSC: {} config
    with pytest.raises(msc.ConfigParseError, match="the YAML config is not valid YAML at line 2, column 1"):
        msc.StorageClientConfig.from_yaml("profiles: [", profile="p")


def test_mapped_and_bucketless_urls_work_on_a_real_server(seaweedfs, s3, write_config):
    s3.put_object(Bucket=BUCKET, Key="mapped/deep/obj.txt", Body=b"through path_mapping")
    s3.put_object(Bucket=BUCKET, Key="root/obj.txt", Body=b"bucket in the path")
    write_config({"team": seaweed_profile(seaweedfs, base_path=f"{BUCKET}/mapped"),
                  "any-bucket": seaweed_profile(seaweedfs, base_path="")},
                 path_mapping={"s3://legacy-name/": "msc://team/"})  # fmt: skip
    assert requests.get(msc.generate_presigned_url("s3://legacy-name/deep/obj.txt"), timeout=10).content == (
        b"through path_mapping"
    )
    assert requests.get(msc.generate_presigned_url(f"msc://any-bucket/{BUCKET}/root/obj.txt"), timeout=10).content == (
        b"bucket in the path"
    )
    put = msc.generate_presigned_url(f"msc://any-bucket/{BUCKET}/root/new.txt", method="PUT")
    assert requests.put(put, data=b"uploaded", timeout=10).status_code == 200
    assert s3.get_object(Bucket=BUCKET, Key="root/new.txt")["Body"].read() == b"uploaded"
