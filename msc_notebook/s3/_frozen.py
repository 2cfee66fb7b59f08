"""An S3 profile frozen for worker processes (a Dask share): its storage options and the
credentials the sharer signs with at that moment. A worker thaws it into a signer that signs,
lists and writes exactly as the sharer's would, and never reads the user's MSC config, AWS
config or AWS credential files: everything it needs travels in this object (scattered once).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._signer import S3URLSigner


class FrozenS3Profile:
    """One S3 profile and frozen credentials, picklable; its repr shows no secret."""

    def __init__(
        self, profile: str, provider_type: str, provider_options: dict[str, Any], access_key: str, secret_key: str,
        session_token: str | None,
    ) -> None:  # fmt: skip
        self.profile = profile
        self.provider_type = provider_type
        self.provider_options = provider_options
        self.access_key = access_key
        self._secret = (secret_key, session_token)
        self._thawed: S3URLSigner | None = None  # one signer a process: every task on a worker shares it
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FrozenS3Profile({self.profile!r}, access_key={self.access_key!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name not in ("_thawed", "_lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _thawed=None, _lock=threading.Lock())

    def thaw(self) -> S3URLSigner:
        """The signer (made once a process), from this object alone."""
        from ..core._config import StorageClientConfig
        from ._credentials import STATIC_CREDENTIALS
        from ._signer import S3URLSigner

        with self._lock:
            if self._thawed is None:
                secret_key, token = self._secret
                credentials = {"access_key": self.access_key, "secret_key": secret_key,
                               **({"session_token": token} if token else {})}  # fmt: skip
                entry = {"storage_provider": {"type": self.provider_type, "options": self.provider_options},
                         "credentials_provider": {"type": STATIC_CREDENTIALS, "options": credentials}}  # fmt: skip
                config = StorageClientConfig.from_dict({"profiles": {self.profile: entry}}, self.profile)
                self._thawed = S3URLSigner(config, read_files=False)
            return self._thawed
