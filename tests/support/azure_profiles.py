"""An Azure profile that signs offline: an account key, and an endpoint where nothing answers."""

from __future__ import annotations

SECRET = "c2VjcmV0LWFjY291bnQta2V5LWZvci10ZXN0cw=="  # base64; must never be shown
ENDPOINT = "http://127.0.0.1:9/acct"  # discard port: nothing answers, signing stays offline
CONNECTION = f"DefaultEndpointsProtocol=http;AccountName=acct;AccountKey={SECRET};BlobEndpoint={ENDPOINT}"


def profile(*, connection: str | None = CONNECTION, credentials: dict | None = None, **options) -> dict:
    provider_options = {"endpoint_url": ENDPOINT, "base_path": "data/pre", **options}
    raw = {
        "storage_provider": {"type": "azure", "options": {k: v for k, v in provider_options.items() if v is not None}}
    }
    if credentials is not None:
        raw["credentials_provider"] = credentials
    elif connection is not None:
        raw["credentials_provider"] = {"type": "AzureCredentials", "options": {"connection": connection}}
    return raw
