"""Signing a share's thousands of GCS URLs in parallel, where it pays.

One RSA-2048 signature costs about 300 us here and dominates a V4 URL. Threads do not help
(the `cryptography` versions this project supports do not reliably release the GIL while
signing: measured, 2 threads are no faster than 1); processes do. The workers are plain
``python -m msc_notebook.gcs._bulk`` processes, not multiprocessing's: its spawn and
forkserver modes re-import the caller's ``__main__`` (a user's script would run again), and
fork may deadlock in a process with threads (a Jupyter kernel). Each worker gets the key's
PEM and its chunk on stdin (never on its command line, in its environment or on disk),
parses the key once and prints the URLs. Below `PARALLEL_FROM` URLs, or on one core,
starting workers costs more than it saves. Keyless signing (IAM signBlob) is a network call
per URL: threads overlap those.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from ..core._errors import PresignError
from ._credentials import GCSSigner
from ._v4 import template

PARALLEL_FROM = 4000  # URLs: about 1.2 s of signing, several times a worker's start-up (~0.2 s)
IAM_THREADS = 8
URLS_PER_SECOND = 1000  # the slowest a worker should be, for its time bound (it signs ~3,000/s here)

Signing = tuple[str, tuple[str, str, str], str, datetime, int]  # method, endpoint, email, signed at, lifetime


def sign_paths(signer: GCSSigner, signing: Signing, paths: Sequence[str]) -> list[str]:
    """The URLs of ``paths`` (encoded URL paths), in order, signed by ``signer`` as ``signing`` says."""
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_FROM or workers < 2:
        v4 = template(*signing)
        return [v4.url(path, signer.sign) for path in paths]
    size = -(-len(paths) // workers)
    chunks = [paths[start : start + size] for start in range(0, len(paths), size)]
    if signer.keyless or signer.key_pem is None:
        v4 = template(*signing)
        with ThreadPoolExecutor(IAM_THREADS) as pool:
            signed = pool.map(lambda chunk: [v4.url(path, signer.sign) for path in chunk], chunks)
            return [url for chunk in signed for url in chunk]
    return _in_processes(signer.key_pem, signing, chunks)


def _in_processes(key_pem: bytes, signing: Signing, chunks: list[Sequence[str]]) -> list[str]:
    method, endpoint, email, signed_at, expires_in = signing
    workers = [
        subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)  # fmt: skip
        for _ in chunks
    ]
    try:
        for worker, chunk in zip(workers, chunks, strict=True):
            job = {"pem": key_pem.decode(), "signing": [method, list(endpoint), email, signed_at.isoformat(),
                                                          expires_in], "paths": list(chunk)}  # fmt: skip
            assert worker.stdin is not None
            worker.stdin.write(json.dumps(job).encode())  # the worker reads it all before it signs
            worker.stdin.close()
            worker.stdin = None  # sent: communicate() below only reads
        urls: list[str] = []
        for worker, chunk in zip(workers, chunks, strict=True):
            out, err = worker.communicate(timeout=60 + len(chunk) / URLS_PER_SECOND)
            if worker.returncode != 0:
                raise PresignError(f"a signing worker failed: {err.decode(errors='replace').strip()[-300:]}")
            urls += json.loads(out)
        return urls
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def _work() -> None:
    """A worker: a job on stdin, its URLs as JSON on stdout."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    job = json.load(sys.stdin)
    key = serialization.load_pem_private_key(job.pop("pem").encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    method, endpoint, email, signed_at, expires_in = job["signing"]
    v4 = template(method, tuple(endpoint), email, datetime.fromisoformat(signed_at), expires_in)
    pad, digest = padding.PKCS1v15(), hashes.SHA256()
    json.dump([v4.url(path, lambda data: key.sign(data, pad, digest)) for path in job["paths"]], sys.stdout)


if __name__ == "__main__":
    _work()
