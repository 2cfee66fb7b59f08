"""The small core every backend shares: config, the client, results, errors, time, the cache,
and the signer registry. Nothing here imports a backend at import time."""
