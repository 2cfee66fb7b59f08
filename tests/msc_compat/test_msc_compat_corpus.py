"""MSC's own example configs (tests/msc_compat/msc_configs/, from its docs and tests), loaded by MSC 1.3.1 and by us.

Every profile MSC loads must load here. Where both sign, the URLs must be equal
byte for byte, botocore's clock frozen on both sides. Each known difference is
listed below with its reason, so a new one (or one that went away) fails.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from support import msc_oracle

import msc_notebook as msc

pytestmark = pytest.mark.e2e  # slow: runs MSC 1.3.1 itself on its whole config corpus, in child processes

CORPUS = Path(__file__).parent / "msc_configs"
FROZEN = datetime(2026, 1, 2, 3, 4, 5)  # naive UTC, as botocore's clock
PATHS = ("bucket-x/data/file.bin", "/bucket-x/dir//odd name+%.bin")  # a leading '/', an interior '//'
METHODS = ("GET", "PUT")


def _corpus() -> dict[str, dict]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(CORPUS.glob("*.yaml"))}


CONFIGS = _corpus()
PROFILES = [(name, profile) for name, config in CONFIGS.items() for profile in config["profiles"]]

# (file, profile) -> (the difference, why it is there). Kinds: "URL differs",
# "MSC signs, we refuse", "we sign, MSC refuses", "MSC loads, we refuse".
KNOWN_DIFFERENCES = {
    ("references-configuration-9.yaml", "my-profile"): (
        "URL differs",
        "gcs_s3 without region_name: we sign for region 'auto', the region Google documents for its S3-compatible "
        "XML API; MSC leaves the region to botocore (us-east-1 here), which is in the credential scope",
    ),
    ("unit-test-config-36.yaml", "s3_public_profile"): (
        "MSC signs, we refuse",
        "signature_version UNSIGNED: MSC hands out the bare object URL, which grants nothing on a private bucket; "
        "we refuse, so nobody shares a link believing it carries access",
    ),
    **{
        (name, "prod-aistore"): (
            "MSC signs, we refuse",
            "ais_s3 with AISCredentials (a JWT): MSC signs with its placeholder keys, and the URL cannot carry "
            "the token an AIStore with authentication checks, so it fails there; we refuse, naming the type",
        )
        for name in ("references-configuration-13.yaml", "references-configuration-14.yaml")
    },
}


@pytest.fixture(scope="module")
def corpus_env(tmp_path_factory):
    """One environment for both sides: fixed AWS keys, every ${VAR} of the corpus set, no network."""
    home = tmp_path_factory.mktemp("corpus-home")
    names = set()
    for path in CORPUS.glob("*.yaml"):
        names |= set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", path.read_text()))
    env = {name: f"env-{name.lower()}" for name in names}
    env.update(
        PATH=os.environ.get("PATH", ""),
        HOME=str(home),
        AWS_ACCESS_KEY_ID="AKIACORPUSDEFAULT",
        AWS_SECRET_ACCESS_KEY="corpus-default-secret",
        AWS_CONFIG_FILE=str(home / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        # Signing is offline; anything that tries the network (MSC reading a manifest) fails at once.
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        NO_PROXY="",
    )
    return env


def _signable_offline(profile: dict) -> bool:
    # MSC's Azure signer without a connection string asks Azure AD for a delegation key over the network.
    provider = (profile.get("storage_provider") or {}).get("type")
    credentials = (profile.get("credentials_provider") or {}).get("type")
    return provider != "azure" or credentials == "AzureCredentials"


@pytest.fixture(scope="module")
def msc_results(corpus_env):
    jobs = []
    for name, profile in PROFILES:
        raw = CONFIGS[name]["profiles"][profile]
        methods = METHODS if isinstance(raw, dict) and _signable_offline(raw) else ()
        jobs.append({"config": json.loads(json.dumps(CONFIGS[name], default=str)), "profile": profile,
                     "paths": PATHS, "methods": methods})  # fmt: skip
    return dict(zip(PROFILES, msc_oracle.run(jobs, FROZEN, corpus_env), strict=True))


@pytest.fixture
def same_as_msc(monkeypatch, corpus_env, clock):
    """Our side: the environment MSC had, and botocore's clock frozen at the same time."""

    for name in [n for n in os.environ if n.startswith(("AWS_", "MSC_", "AZURE_"))]:
        monkeypatch.delenv(name)
    for name, value in corpus_env.items():
        monkeypatch.setenv(name, value)
    clock(FROZEN.replace(tzinfo=timezone.utc))


def _ours(config: dict, profile: str, paths_and_methods) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", msc.IgnoredOptionWarning)  # MSC passes unknown options through
        return _sign_as_msc_did(config, profile, paths_and_methods)


def _sign_as_msc_did(config: dict, profile: str, paths_and_methods) -> dict:
    try:
        client = msc.StorageClient(msc.StorageClientConfig.from_dict(config, profile))
    except msc.PresignError as exc:
        return {"load": {"error": type(exc).__name__, "message": str(exc)}}
    urls = {}
    for key in paths_and_methods:
        method, path = key.split(" ", 1)
        try:
            urls[key] = {"ok": str(client.generate_presigned_url(path, method=method))}
        except Exception as exc:  # noqa: BLE001 (recorded, compared with MSC's outcome)
            urls[key] = {"error": type(exc).__name__, "message": str(exc)}
    return {"load": {"ok": True}, "urls": urls}


def _difference(theirs: dict, ours: dict) -> str | None:
    if "ok" in theirs["load"] and "ok" not in ours["load"]:
        return "MSC loads, we refuse"
    if "ok" not in theirs["load"] or "ok" not in ours["load"]:
        return None
    for key, their in theirs["urls"].items():
        our = ours["urls"][key]
        if "ok" in their and "ok" in our and their["ok"] != our["ok"]:
            return "URL differs"
        if "ok" in their and "ok" not in our:
            return "MSC signs, we refuse"
        if "ok" not in their and "ok" in our:
            return "we sign, MSC refuses"
    return None


def test_the_corpus_is_msc_s_own_material():
    assert len(CONFIGS) >= 100 and len(PROFILES) >= 150
    assert any(name.startswith("user-guide-") for name in CONFIGS) and "multi-storage-client-msc-config-0.yaml" in CONFIGS


@pytest.mark.parametrize("name, profile", PROFILES, ids=[f"{n}:{p}" for n, p in PROFILES])
def test_profile_behaves_as_in_msc(name, profile, msc_results, same_as_msc):
    theirs = msc_results[(name, profile)]
    ours = _ours(CONFIGS[name], profile, list(theirs.get("urls", {})))
    difference = _difference(theirs, ours)
    known = KNOWN_DIFFERENCES.get((name, profile))
    if known is None:
        assert difference is None, f"{difference}: MSC {theirs}, ours {ours}"
    else:
        assert difference == known[0], f"listed as {known[0]!r} ({known[1]}), now: {difference}"


def test_every_listed_difference_is_in_the_corpus():
    assert set(KNOWN_DIFFERENCES) <= set(PROFILES)


def test_both_sign_most_s3_profiles(msc_results, same_as_msc):
    """The comparison is not vacuous: many profiles sign on both sides, byte for byte."""
    equal = 0
    for key, theirs in msc_results.items():
        urls = theirs.get("urls", {})
        if urls and all("ok" in outcome for outcome in urls.values()):
            ours = _ours(CONFIGS[key[0]], key[1], list(urls))
            equal += all(ours.get("urls", {}).get(k) == {"ok": v["ok"]} for k, v in urls.items())
    assert equal >= 25
