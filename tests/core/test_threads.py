"""Many threads sign at once, first use included, while the config is rewritten under them:
each call gives a correct URL or a typed PresignError, and no profile stays broken."""

from __future__ import annotations

import functools
import os
import threading
import time
from pathlib import Path

import yaml
from conftest import BUCKET, seaweed_profile
from support.http_client import fetch
from support.sigv4_verifier import verify_presigned_url

import msc_notebook as msc
from msc_notebook.core._config import clear_config_cache

THREADS = 16
PROFILES = ("t0", "t1", "t2", "t3")


@functools.cache
def _config_text(seaweedfs, expires_in: int) -> str:
    profiles = {name: {**seaweed_profile(seaweedfs), "presign": {"s3": {"expires_in": expires_in}}} for name in PROFILES}
    return yaml.safe_dump({"profiles": profiles}, sort_keys=False)


def _write(path: Path, seaweedfs, expires_in: int, *, atomic: bool) -> None:
    text = _config_text(seaweedfs, expires_in)  # made once: the writer holds the GIL as little as it can
    if atomic:
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text)
        os.replace(temporary, path)
    else:
        path.write_text(text)  # in place: a reader may see it half written


def _storm(config: Path, seaweedfs, *, rewrites: int) -> tuple[list[msc.PresignedURL], list[Exception]]:
    """THREADS signers (started together) while one writer rewrites the config ``rewrites`` times;
    then every signer signs twice more on the settled config."""
    urls: list[msc.PresignedURL] = []
    errors: list[Exception] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS + 1)
    settled = threading.Event()

    def signer(index: int) -> None:
        start.wait(timeout=30)
        round_ = calm = 0
        while calm < 2:
            after = settled.is_set()  # the config was whole before this call began
            calm += after
            round_ += 1
            name = PROFILES[(index + round_) % len(PROFILES)]
            try:
                url = msc.generate_presigned_url(f"msc://{name}/threads/{index}-{round_}.txt", warn=False)
            except msc.PresignError as exc:  # a half-written config: typed, and says what it is
                with lock:
                    errors.append((exc, after))
            else:
                with lock:
                    urls.append(url)

    def writer() -> None:
        start.wait(timeout=30)
        for flip in range(1, rewrites + 1):  # a rewrite every few ms, in place or atomically
            _write(config, seaweedfs, 900 if flip % 2 else 1200, atomic=flip % 3 == 0)
            time.sleep(0.005)
        _write(config, seaweedfs, 900, atomic=True)
        settled.set()

    threads = [threading.Thread(target=signer, args=(i,)) for i in range(THREADS)]
    swapper = threading.Thread(target=writer)
    for thread in (*threads, swapper):
        thread.start()
    swapper.join(timeout=60)
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a signer hung"
    assert not [exc for exc, after in errors if after], "once the config is whole, every call signs"
    return urls, [exc for exc, _ in errors]


def test_many_threads_cold_and_warm_with_the_config_swapped(seaweedfs, s3, write_config):
    config = write_config({})
    _write(config, seaweedfs, 900, atomic=True)
    for temperature in ("cold", "warm"):
        if temperature == "cold":
            msc.clear_client_cache()
            clear_config_cache()
        urls, errors = _storm(config, seaweedfs, rewrites=24)
        # Reads that land between a truncate and a write see an empty file: a typed error, not a wrong URL.
        assert len(urls) >= 2 * THREADS, f"{temperature}: {len(errors)} errors, {len(urls)} URLs"
        for url in urls:
            params = verify_presigned_url(url, seaweedfs.secret_key)  # a correct SigV4 signature, each one
            assert params["X-Amz-Expires"] in ("900", "1200") and int(params["X-Amz-Expires"]) == url.expires_in
        for error in errors:
            assert isinstance(error, (msc.ConfigParseError, msc.UnknownProfileError)), repr(error)
    # No profile stays broken: once the config is whole, every profile signs, and a sample works for real.
    _write(config, seaweedfs, 900, atomic=True)
    s3.put_object(Bucket=BUCKET, Key="threads/sample.txt", Body=b"sample")
    for name in PROFILES:
        url = msc.generate_presigned_url(f"msc://{name}/threads/sample.txt", warn=False)
        assert fetch(url).content == b"sample"


def test_first_use_of_one_profile_from_many_threads_at_once(seaweedfs, s3, demo_profile):
    """The failure that broke a profile for good: boto3 clients made concurrently on first use."""
    s3.put_object(Bucket=BUCKET, Key="threads/first.txt", Body=b"first")
    msc.clear_client_cache()
    start = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def sign(index: int) -> None:
        start.wait(timeout=30)
        try:
            results[index] = msc.generate_presigned_url("msc://demo/threads/first.txt", warn=False)
        except Exception as exc:  # noqa: BLE001 (collected and asserted on below)
            results[index] = exc

    threads = [threading.Thread(target=sign, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(result, msc.PresignedURL) for result in results), results
    assert fetch(results[0]).content == b"first"
    assert fetch(msc.generate_presigned_url("msc://demo/threads/first.txt")).content == b"first"


def test_the_cache_sees_a_file_replaced_atomically(tmp_path):
    """One staleness rule: a file swapped in with os.replace (same size, same second) is seen."""
    from msc_notebook.core._cache import Built, FileCache, stamped

    cache: FileCache[str] = FileCache()
    path = tmp_path / "f.txt"
    path.write_text("aaaa")

    def build() -> Built[str]:
        file = stamped(path)
        return Built(path.read_text(), [file])

    assert cache.get("k", build) == "aaaa"
    replacement = tmp_path / "g.txt"
    replacement.write_text("bbbb")
    os.replace(replacement, path)
    assert cache.get("k", build) == "bbbb"
