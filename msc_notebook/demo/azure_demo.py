"""The demo's optional Azure part: Azurite with the sample objects, as profile ``demo-azure``.

Added when Azurite and the ``azure`` extra are installed; otherwise the demo runs
without it and says how to add it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .azurite import INSTALL_HINT, Azurite, AzuriteError, find_azurite_blob

AZURE_PROFILE = "demo-azure"
AZURE_CONTAINER = "msc-demo"
_HOW_TO_ADD = f"to add a {AZURE_PROFILE} profile, {INSTALL_HINT} and pip install 'msc-notebook[azure]'"


def start_azure_demo(directory: Path, objects: Mapping[str, bytes], progress: Callable[[str], None]) -> Azurite | None:
    """Azurite serving ``objects`` in container AZURE_CONTAINER, or None (and why) if unavailable."""
    try:
        import azure.storage.blob  # noqa: F401
    except ImportError:
        progress(f"Azure: not in this demo ({_HOW_TO_ADD})")
        return None
    from azure.core.exceptions import AzureError

    executable = find_azurite_blob()
    if executable is None:
        progress(f"Azure: Azurite not found, so no Azure in this demo ({_HOW_TO_ADD})")
        return None
    progress("Starting a local Azure Blob service (Azurite, 127.0.0.1 only) ...")
    server = Azurite(directory, executable=executable)
    try:
        server.start()
        container = server.service_client().create_container(AZURE_CONTAINER)
        for name, body in objects.items():
            container.upload_blob(name, body)
    except (AzuriteError, AzureError, OSError) as exc:
        server.stop()
        progress(f"Azure: Azurite did not start, continuing without {AZURE_PROFILE}: {exc}")
        return None
    except BaseException:
        server.stop()
        raise
    progress(f"  blob endpoint {server.endpoint_url}; container {AZURE_CONTAINER!r} with the sample objects")
    return server


def azure_profile(server: Azurite) -> dict[str, Any]:
    """The ``demo-azure`` profile, as MSC writes azure profiles (account key via connection string)."""
    return {
        "comment": "the sample objects on a local Azurite, signed with the account key (Azure SAS)",
        "storage_provider": {
            "type": "azure",
            "options": {"endpoint_url": server.endpoint_url, "base_path": AZURE_CONTAINER},
        },
        "credentials_provider": {"type": "AzureCredentials", "options": {"connection": server.connection_string}},
    }
