"""Config discovery (MSC's order), YAML/JSON, ${VAR} expansion, MSC-only keys, and the errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import yaml
from conftest import seaweed_profile

import msc_notebook as msc
from msc_notebook import config_search_paths, find_config_file

PROFILE = {
    "storage_provider": {"type": "s3", "options": {"base_path": "team-bucket", "region_name": "us-east-1"}},
    "credentials_provider": {"type": "S3Credentials", "options": {"access_key": "AKIAX", "secret_key": "s"}},
}


def _write(path: Path, profiles: dict, fmt: str = "yaml", **top) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"profiles": profiles, **top}
    path.write_text(json.dumps(data) if fmt == "json" else yaml.safe_dump(data))
    return path


def _marked(name: str) -> dict:
    """A profile whose base_path tells which file it came from."""
    return {name: {**PROFILE, "storage_provider": {"type": "s3", "options": {"base_path": name}}}}


def test_discovery_order_is_msc_order(isolated_env, monkeypatch, tmp_path):
    home = isolated_env
    xdg_home, xdg_dir = tmp_path / "xdg-home", tmp_path / "xdg-dir"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg_home))
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{tmp_path / 'empty'}:{xdg_dir}")
    ordered = [
        xdg_home / "msc" / "config.yaml",
        xdg_home / "msc" / "config.json",
        home / ".msc_config.yaml",
        home / ".msc_config.json",
        home / ".config" / "msc" / "config.yaml",
        home / ".config" / "msc" / "config.json",
        xdg_dir / "msc" / "config.yaml",
        xdg_dir / "msc" / "config.json",
    ]
    explicit = _write(tmp_path / "explicit.yaml", _marked("p"))
    monkeypatch.setenv("MSC_CONFIG", str(explicit))
    paths = config_search_paths()
    assert paths[0] == explicit
    assert [p for p in paths if p in ordered] == ordered
    assert paths[-2:] == [Path("/etc/msc_config.yaml"), Path("/etc/msc_config.json")]

    # Create every candidate, then remove them from the front: each time the next one wins.
    for path in ordered:
        _write(path, _marked("p"), fmt="json" if path.suffix == ".json" else "yaml")
    assert find_config_file() == explicit
    monkeypatch.delenv("MSC_CONFIG")
    for path in ordered:
        assert find_config_file() == path.resolve()
        assert msc.StorageClientConfig.from_file("p").config_path == path.resolve()
        path.unlink()


def test_no_config_lists_every_path_searched(monkeypatch, tmp_path):
    monkeypatch.setenv("MSC_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(msc.ConfigNotFoundError) as info:
        msc.generate_presigned_url("msc://p/k")
    message = str(info.value)
    assert "missing.yaml" in message and "which does not exist" in message
    for path in config_search_paths():
        assert str(path) in message


def test_json_config_and_from_file_explicit_paths(tmp_path):
    path = _write(tmp_path / "c.json", {"j": PROFILE}, fmt="json")
    config = msc.StorageClientConfig.from_file("j", config_file_paths=[tmp_path / "none.yaml", path])
    assert config.provider_type == "s3" and config.config_path == path
    with pytest.raises(msc.ConfigNotFoundError, match="none.yaml"):
        msc.StorageClientConfig.from_file("j", config_file_paths=tmp_path / "none.yaml")


def test_env_expansion_both_forms(write_config, monkeypatch):
    monkeypatch.setenv("BUCKET_NAME", "expanded-bucket")
    monkeypatch.setenv("SECRET", "s3cr3t")
    profile = {
        "storage_provider": {"type": "s3", "options": {"base_path": "${BUCKET_NAME}/pre_$BUCKET_NAME"}},
        "credentials_provider": {"type": "S3Credentials", "options": {"access_key": "AKIAX", "secret_key": "${SECRET}"}},
    }
    write_config({"e": profile})
    config = msc.StorageClientConfig.from_file("e")
    assert config.provider_options["base_path"] == "expanded-bucket/pre_expanded-bucket"
    assert config.credentials_options["secret_key"] == "s3cr3t"
    assert "s3cr3t" not in repr(config)


def test_missing_env_var_is_named(write_config):
    write_config({"e": {**PROFILE, "storage_provider": {"type": "s3", "options": {"base_path": "${NOT_SET_ANYWHERE}"}}}})
    with pytest.raises(msc.MissingEnvironmentVariableError) as info:
        msc.generate_presigned_url("msc://e/k")
    assert "NOT_SET_ANYWHERE" in str(info.value)
    assert "profiles.e.storage_provider.options.base_path" in str(info.value)


def test_msc_only_keys_are_tolerated(write_config):
    write_config(
        {
            "tolerant": {**PROFILE, "caching_enabled": True, "comment": "team data", "retry": {"attempts": 3},
                         "storage_provider": {"type": "s3", "options": {
                             "base_path": "team-bucket", "region_name": "us-east-1", "multipart_threshold": 1 << 26,
                             "max_pool_connections": 32, "retries": {"mode": "standard"}}}},
            "azure-data": {"storage_provider": {"type": "azure", "options": {"base_path": "c"}}},
        },
        cache={"size": "10G", "location": "/tmp/cache"},
        opentelemetry={"metrics": {}},
        path_mapping={"s3://x/": "msc://tolerant/"},
        experimental_features={"cache_mru_eviction": True},
        posix={},
    )  # fmt: skip
    assert msc.generate_presigned_url("msc://tolerant/k").startswith("https://team-bucket.s3.amazonaws.com/k?")


def test_include_merges_profiles(tmp_path, monkeypatch):
    _write(tmp_path / "more.yaml", {"included": PROFILE})
    main = _write(tmp_path / "main.yaml", {"own": PROFILE}, include=["more.yaml"])
    monkeypatch.setenv("MSC_CONFIG", str(main))
    assert msc.StorageClientConfig.from_file("included").profile == "included"
    _write(tmp_path / "more.yaml", {"own": PROFILE})  # the same profile twice: fine, as in MSC
    assert msc.StorageClientConfig.from_file("own").profile == "own"
    _write(tmp_path / "more.yaml", {"own": {**PROFILE, "storage_provider": {"type": "s3", "options": {"base_path": "x"}}}})
    with pytest.raises(msc.ConfigParseError, match="'own' is defined differently in .*main.yaml and .*more.yaml"):
        msc.StorageClientConfig.from_file("own")
    _write(tmp_path / "more.yaml", {"other": PROFILE}, include=["main.yaml"])
    with pytest.raises(msc.ConfigParseError, match="cannot include others"):
        msc.StorageClientConfig.from_file("own")


def test_unknown_profile_lists_known(write_config):
    write_config({"alpha": PROFILE, "beta": PROFILE})
    with pytest.raises(msc.UnknownProfileError) as info:
        msc.generate_presigned_url("msc://gamma/k")
    assert str(info.value).endswith("known profiles: alpha, beta")
    with pytest.raises(msc.UnknownProfileError, match="alpha, beta"):
        msc.StorageClientConfig.from_file("gamma")


def test_bad_yaml_names_the_line(isolated_env, monkeypatch):
    path = isolated_env / "bad.yaml"
    path.write_text("profiles:\n  p:\n    storage_provider: {type: s3\n    bad: [\n")
    monkeypatch.setenv("MSC_CONFIG", str(path))
    with pytest.raises(msc.ConfigParseError, match=r"not valid YAML at line 4, column \d+: "):
        msc.generate_presigned_url("msc://p/k")


def test_bad_json_names_the_line(isolated_env, monkeypatch):
    path = isolated_env / "bad.json"
    path.write_text('{"profiles": {\n "p": ,\n}}')
    monkeypatch.setenv("MSC_CONFIG", str(path))
    with pytest.raises(msc.ConfigParseError, match="not valid JSON: .* line 2"):
        msc.generate_presigned_url("msc://p/k")


@pytest.mark.parametrize(
    "top, match",
    [
        ({"profile": {}}, "unknown top-level key 'profile'"),
        ({"profiles": ["a"]}, "'profiles' must map"),
        ({"profiles": {"p": "s3"}}, "must be a mapping"),
        ({"profiles": {"p": {"credentials_provider": {}}}}, "no 'storage_provider'"),
        ({"profiles": {"p": {"storage_provider": {"options": {}}}}}, "needs a 'type'"),
        ({"profiles": {"p": {"storage_provider": {"type": "s3", "options": {}}}}}, "no bucket in its base_path"),
        ({"profiles": {"p": {"storage_provider": {"type": "s3", "options": {"base_path": "b", "signature_version": "s3"}}}}},
         "always SigV4"),
        ({"profiles": {"p": {"storage_provider": {"type": "s8k", "options": {"base_path": "b"}}}}}, "endpoint_url"),
        ({"profiles": {"p": {**PROFILE, "credentials_provider": {"type": "S3Credentials", "options": {"access_key": "a"}}}}},
         "missing secret_key"),
        ({"profiles": {"p": {**PROFILE, "credentials_provider": {"type": "S3Credentials",
                                                                  "options": {"access_key": "a", "secret_key": "s", "token": "t"}}}}},
         "1 unknown option"),
        ({"profiles": {"p": {**PROFILE, "credentials_provider": {"type": "AzureCredentials", "options": {}}}}},
         "cannot sign S3 URLs"),
        ({"profiles": {"p": {**PROFILE, "credentials_provider": {"type": "S3Credentials", "options": {
            "access_key": "a", "secret_key": "s", "expiration": "next tuesday"}}}}}, "not an ISO-8601 time"),
        ({"profiles": {"p": {**PROFILE, "presign": {"s4": {}}}}}, "presign.s4 is not a signer type"),
    ],
)  # fmt: skip
def test_config_errors_say_what_to_fix(write_config, top, match):
    write_config(**{"profiles": {}, **top})
    with pytest.raises(msc.PresignError, match=match):
        msc.generate_presigned_url("msc://p/k")


def test_secrets_never_in_errors(write_config):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET"
    profile = {**PROFILE, "credentials_provider": {"type": "S3Credentials", "options": {"access_key": "A", "secret_key": secret, "x": 1}}}
    write_config({"p": profile})
    with pytest.raises(msc.ConfigError) as info:
        msc.generate_presigned_url("msc://p/k")
    assert secret not in str(info.value)
    config = msc.StorageClientConfig.from_dict({"profiles": {"p": PROFILE | {"credentials_provider": {
        "type": "S3Credentials", "options": {"access_key": "A", "secret_key": secret}}}}}, "p")
    assert secret not in repr(config) and secret not in repr(msc.StorageClient(config))
    url = msc.StorageClient(config).generate_presigned_url("k")
    assert secret not in url and secret not in repr(url) and secret not in repr(url.details)


def test_config_edits_take_effect_without_restart(write_config):
    path = write_config({"p": PROFILE})
    assert msc.generate_presigned_url("msc://p/k").startswith("https://team-bucket.s3.amazonaws.com/k?")
    data = yaml.safe_load(path.read_text())
    data["profiles"]["p"]["storage_provider"]["options"]["base_path"] = "other-bucket"
    path.write_text(yaml.safe_dump(data))
    import os

    os.utime(path, ns=(1, 2))  # a new mtime even within the same clock tick
    assert msc.generate_presigned_url("msc://p/k").startswith("https://other-bucket.s3.amazonaws.com/k?")


def test_dollar_expansion_is_msc_s(write_config, monkeypatch):
    """$$ stays $$ (MSC has no escape), a $ before a name is a variable; secrets stay out of errors."""
    profile = {**PROFILE, "credentials_provider": {"type": "S3Credentials",
                                                    "options": {"access_key": "AKIAX", "secret_key": "pa$$-word$5"}}}  # fmt: skip
    write_config({"p": profile})
    assert msc.StorageClientConfig.from_file("p").credentials_options["secret_key"] == "pa$$-word$5"
    for secret in ("pa$sWord9xyz", "pa$$sWord9xyz", "pa${sWord9xyz}"):  # a "$" the user meant literally
        profile["credentials_provider"]["options"]["secret_key"] = secret
        write_config({"p": profile})
        with pytest.raises(msc.MissingEnvironmentVariableError) as info:
            msc.StorageClientConfig.from_file("p")
        assert "sWord9xyz" not in str(info.value) and "secret_key" in str(info.value)
        assert "FileBasedCredentials" in str(info.value)
    monkeypatch.setenv("sWord9xyz", "-value")
    assert msc.StorageClientConfig.from_file("p").credentials_options["secret_key"] == "pa-value"


def test_unknown_provider_option_warns_once_and_signs(write_config):
    write_config({"p": {**PROFILE, "storage_provider": {"type": "s3", "options": {
        "base_path": "team-bucket", "region_name": "us-east-1", "endpoint": "http://x", "future_msc_option": 1}}}})  # fmt: skip
    with pytest.warns(msc.IgnoredOptionWarning) as caught:
        url = msc.generate_presigned_url("msc://p/k")
    assert url.startswith("https://team-bucket.s3.amazonaws.com/k?")
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2
    assert "option 'endpoint' (did you mean endpoint_url?) is not used for signing" in messages[0]
    assert "'future_msc_option'" in messages[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        msc.clear_client_cache()
        msc.generate_presigned_url("msc://p/other")  # once per profile and option: no second warning


def test_an_option_name_that_may_hold_a_value_is_not_shown(write_config, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAX")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    path = write_config({})
    path.write_text(f"profiles:\n  p:\n    storage_provider:\n      type: s3\n      options: "
                    f"{{base_path: team-bucket, secret_access_key {SECRET}}}\n")  # fmt: skip
    with pytest.warns(msc.IgnoredOptionWarning) as caught:
        msc.generate_presigned_url("msc://p/k")
    [message] = [str(w.message) for w in caught]
    assert SECRET not in message and "not shown: it may hold a mistyped value" in message


SECRET = "Zq9HostileSECRETvalue"
HOSTILE_YAML = {  # text (SECRET inside), the line the error must name
    "undefined alias": (f"profiles:\n  p:\n    credentials_provider:\n      type: S3Credentials\n"
                        f"      options: {{access_key: A, secret_key: *{SECRET}}}\n", 5),
    "unknown tag": (f"profiles:\n  p:\n    x: !{SECRET} y\n", 3),
    "python tag": (f"profiles:\n  p:\n    x: !!python/object/apply:os.system ['{SECRET}']\n", 3),
    "bad escape": (f'profiles:\n  p:\n    secret_key: "ab\\q{SECRET}"\n', 3),
    "reserved @": (f"profiles:\n  p:\n    secret_key: @{SECRET}\n", 3),
    "reserved `": (f"profiles:\n  p:\n    secret_key: `{SECRET}\n", 3),
    "reserved %": (f"profiles:\n  p:\n    secret_key: %{SECRET}\n", 3),
    "tab indent": (f"profiles:\n  p:\n\tsecret_key: {SECRET}\n", 3),
    "colon in value": (f"profiles:\n  p:\n    secret_key: {SECRET}: x\n", 3),
    "unclosed double quote": (f'profiles:\n  p:\n    secret_key: "{SECRET}\n', 4),
    "unclosed single quote": (f"profiles:\n  p:\n    secret_key: '{SECRET}\n", 4),
    "duplicate anchor": (f"a: &{SECRET} 1\nb: &{SECRET} 2\n", 2),
    "flow mapping typo": (f"profiles:\n  p: {{secret_key {SECRET}, x: [}}\n", 2),
    "bad anchor": (f"profiles:\n  p:\n    x: &{SECRET}!! 1\n", 3),
    "unclosed flow sequence": (f"profiles:\n  p:\n    x: [{SECRET}\n", 4),
    "control character": (f"profiles:\n  p:\n    secret_key: \x07{SECRET}\n", 3),
    "merge of a scalar": (f"profiles:\n  p:\n    <<: {SECRET}\n", 3),
    "list as key": (f"? [{SECRET}]\n: v\n", 1),
}  # fmt: skip


def _every_message(call) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except msc.ConfigParseError as exc:
            return [str(exc), repr(exc), *map(str, exc.args), *(str(w.message) for w in caught)]
    raise AssertionError("no ConfigParseError")


@pytest.mark.parametrize("loader", ["libyaml", "pure-python"])
@pytest.mark.parametrize("case", list(HOSTILE_YAML))
def test_yaml_errors_name_the_place_and_the_fix_never_the_text(write_config, monkeypatch, case, loader):
    from msc_notebook.core import _config_files as config_files

    if loader == "pure-python":  # the fallback where libyaml is missing; its messages quote values
        monkeypatch.setattr(config_files, "_yaml_loader", lambda: yaml.SafeLoader)
    text, line = HOSTILE_YAML[case]
    path = write_config({})
    path.write_text(text)
    messages = _every_message(lambda: msc.generate_presigned_url("msc://p/k"))
    messages += _every_message(lambda: msc.StorageClientConfig.from_file("p"))
    messages += _every_message(lambda: msc.summarize_profiles())
    messages += _every_message(lambda: msc.StorageClientConfig.from_yaml(text, "p"))
    for message in messages:
        assert SECRET not in message and SECRET[:6] not in message
    assert f"{path} is not valid YAML at line {line}, column " in messages[0]
    assert "the YAML config is not valid YAML at line" in messages[-1]
    assert messages[0].rsplit(": ", 1)[-1] != "syntax error"  # says what to fix


def test_json_errors_never_quote_the_text(write_config, monkeypatch):
    path = write_config({}).with_suffix(".json")
    path.write_text('{"profiles": {"p": {"secret_key": "%s\\x"}}}' % SECRET)
    monkeypatch.setenv("MSC_CONFIG", str(path))
    for message in _every_message(lambda: msc.StorageClientConfig.from_file("p")) + _every_message(
        lambda: msc.StorageClientConfig.from_json(path.read_text(), "p")
    ):
        assert SECRET not in message
    assert "not valid JSON: Invalid \\escape at line 1" in _every_message(lambda: msc.generate_presigned_url("msc://p/k"))[0]


def test_a_changed_environment_variable_is_used_at_the_next_call(seaweedfs, write_config, monkeypatch):
    """Signing in a loop expands a profile once, yet a variable changed between calls takes effect."""
    profile = seaweed_profile(seaweedfs)
    profile["storage_provider"]["options"]["base_path"] = "${ROTATING_BUCKET}"
    write_config({"env": profile})
    monkeypatch.setenv("ROTATING_BUCKET", "first-bucket")
    assert "/first-bucket/k?" in msc.generate_presigned_url("msc://env/k")
    assert "/first-bucket/k?" in msc.generate_presigned_url("msc://env/k")
    monkeypatch.setenv("ROTATING_BUCKET", "second-bucket")
    assert "/second-bucket/k?" in msc.generate_presigned_url("msc://env/k")
    monkeypatch.delenv("ROTATING_BUCKET")
    with pytest.raises(msc.MissingEnvironmentVariableError, match="ROTATING_BUCKET"):
        msc.generate_presigned_url("msc://env/k")
