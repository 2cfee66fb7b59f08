"""Container stored access policies: what makes an Azure share revocable.

A SAS that names a stored access policy (``si=``) works only while its container holds that
policy, so deleting the policy revokes every SAS that names it, at once. A share's policy
holds the share's permission (read) and expiry, so its URLs carry ``si`` instead of ``sp``
and ``se`` (Azure refuses a field given in both).

Set Container ACL replaces the container's whole ACL *and* its public-access level, so every
change here reads both, changes one policy and writes both back: the user's own policies and
public access survive. The write is conditional on the container being unchanged since the
read (If-Unmodified-Since; a lost race is read again). Last-Modified has whole seconds, so a
read in the same second as the last change waits for the next second before it counts.
A process-wide lock orders this process's threads before any of that.

Azure allows 5 policies per container. Ours are named ``msc-share-…``; those that expired
(more than ``PRUNE_GRACE`` ago, for a clock that runs ahead) are pruned before a sixth is refused.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ..core import _times as times
from ..core._errors import CredentialsError, PrefixShareError, StorageError
from ._answers import answer

if TYPE_CHECKING:
    from azure.storage.blob import AccessPolicy, ContainerClient

POLICY_LIMIT = 5  # Azure's limit of stored access policies per container
POLICY_PREFIX = "msc-share-"
PRUNE_GRACE = timedelta(minutes=5)
SETTLE_SECONDS = 30  # Azure: "a stored access policy may take up to 30 seconds to take effect"
RACE_TRIES = 5  # conditional writes lost to another writer before giving up

_lock = threading.Lock()
_first_seen: dict[tuple[str, datetime], float] = {}  # (container URL, Last-Modified) -> when first read (monotonic)
T = TypeVar("T")


@dataclass(frozen=True)
class _ACL:
    policies: dict[str, AccessPolicy]  # id -> policy, as stored (times as the service wrote them)
    public_access: str | None
    last_modified: datetime  # the condition of the write that follows


def new_policy_id() -> str:
    return POLICY_PREFIX + secrets.token_hex(8)


def check_free_slot(container: ContainerClient, where: str) -> None:
    """Refuse now, before a long listing, if the container has no room for one more policy."""
    acl = _read(container, where)
    _refuse_if_full(_pruned(acl.policies), container.container_name)


def open_policy(container: ContainerClient, policy_id: str, expiry: datetime, where: str) -> None:
    """Add a read-only policy ``policy_id`` that ends at ``expiry``, keeping every other policy
    (expired ones of ours pruned) and the public-access level."""
    from azure.storage.blob import AccessPolicy

    def add(policies: dict[str, AccessPolicy]) -> dict[str, AccessPolicy] | None:
        if policy_id in policies:
            return None  # our own write went through, though its answer was lost
        kept = _pruned(policies)
        _refuse_if_full(kept, container.container_name)
        return {**kept, policy_id: AccessPolicy(permission="r", expiry=expiry)}

    _change(container, where, add)


def close_policy(container: ContainerClient, policy_id: str, where: str) -> bool:
    """Delete the policy ``policy_id`` (revoking every SAS that names it); whether it was there.
    Only a share's own policy (``msc-share-…``) is ever deleted: the user's are not ours to drop."""
    if not policy_id.startswith(POLICY_PREFIX):
        raise PrefixShareError(
            f"{policy_id!r} is not the access policy of an msc_notebook share (those are named {POLICY_PREFIX}…): "
            f"nothing was deleted",
            field="path",
        )
    found = False

    def remove(policies: dict[str, AccessPolicy]) -> dict[str, AccessPolicy] | None:
        nonlocal found
        found = found or policy_id in policies  # a retried write may find its own removal done
        return {name: policy for name, policy in policies.items() if name != policy_id} if found else None

    _change(container, where, remove)
    return found


def _change(
    container: ContainerClient, where: str, change: Callable[[dict[str, AccessPolicy]], dict[str, AccessPolicy] | None]
) -> None:
    """Read the ACL, apply ``change`` (None: nothing to write) and write it back, unless another
    writer changed it in between: then again, from a new read."""
    from azure.core.exceptions import ResourceModifiedError

    with _lock:
        for _ in range(RACE_TRIES):
            acl = _read(container, where)
            policies = change(dict(acl.policies))
            if policies is None:
                return
            try:
                _write(container, where, policies, acl)
                return
            except ResourceModifiedError:
                continue  # someone else changed it since our read: read it again
    raise StorageError(
        f"{where}: the access policies of container {container.container_name!r} kept changing while this "
        f"share tried to change them ({RACE_TRIES} tries); try again",
        field="revocable",
    )


def _read(container: ContainerClient, where: str) -> _ACL:
    """The container's policies, public-access level and Last-Modified, read once the second of its
    last change has passed (so a condition on it catches any later change)."""
    times_of: dict[str, datetime | None] = {}

    def keep_times(response: Any) -> None:  # the SDK's headers are case-insensitive (Azurite's are lower case)
        headers = response.http_response.headers
        times_of.update({name: _header_time(headers.get(name)) for name in ("Last-Modified", "Date")})

    for _ in range(3):
        acl = _call(lambda: container.get_container_access_policy(raw_response_hook=keep_times), where, "read")
        last_modified, now = times_of.get("Last-Modified"), times_of.get("Date")
        if last_modified is None:
            raise StorageError(
                f"{where}: the storage did not say when the access policies of container "
                f"{container.container_name!r} last changed, so they cannot be changed without risking someone "
                f"else's change; nothing was written",
                field="revocable",
            )
        # Past the second of the last change: the storage's clock says so, or a read a second ago already
        # saw this Last-Modified (Azurite's Date here repeats Last-Modified, so only that can tell).
        seen = _first_seen.setdefault((container.url, last_modified), time.monotonic())
        if (now is not None and now - last_modified >= timedelta(seconds=1)) or time.monotonic() - seen >= 1:
            break
        time.sleep(1)  # changed within this second: a later change could carry the same time
    if len(_first_seen) > 1000:  # a memo, not a record: bounded
        _first_seen.clear()
    assert last_modified is not None  # the loop raises without it
    policies = {identifier.id: identifier.access_policy for identifier in acl["signed_identifiers"]}
    return _ACL(policies, acl["public_access"], last_modified)


def _write(container: ContainerClient, where: str, policies: dict[str, AccessPolicy], acl: _ACL) -> None:
    _call(lambda: container.set_container_access_policy(policies, public_access=acl.public_access,
                                                        if_unmodified_since=acl.last_modified),
          where, "change")  # fmt: skip


def _call(operation: Callable[[], T], where: str, verb: str) -> T:
    """``operation`` (an ACL call), its errors as ours: a refusal speaks of the credentials."""
    from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError, ResourceModifiedError

    try:
        return operation()
    except ResourceModifiedError:
        raise  # a lost race: the caller reads again
    except (ClientAuthenticationError, HttpResponseError) as exc:
        status = getattr(exc, "status_code", None)
        if isinstance(exc, ClientAuthenticationError) or status == 403:
            raise CredentialsError(
                f"{where}: the storage refused to {verb} the container's stored access policies ({answer(exc)}); "
                f"a revocable share needs the account key (a connection string)"
            ) from None
        raise StorageError(f"{where}: cannot {verb} the container's stored access policies: {answer(exc)}",
                           field="revocable") from None  # fmt: skip
    except AzureError as exc:
        raise StorageError(f"{where}: no answer about the container's stored access policies ({type(exc).__name__})",
                           field="revocable") from None  # fmt: skip


def _pruned(policies: dict[str, AccessPolicy]) -> dict[str, AccessPolicy]:
    """Every policy but those of msc_notebook shares that have expired."""
    cutoff = times.utcnow() - PRUNE_GRACE
    return {name: policy for name, policy in policies.items() if not _ours_expired(name, policy, cutoff)}


def _ours_expired(name: str, policy: AccessPolicy | None, cutoff: datetime) -> bool:
    expiry = _policy_time(getattr(policy, "expiry", None))  # an identifier may hold no policy at all
    return name.startswith(POLICY_PREFIX) and expiry is not None and expiry < cutoff


def _refuse_if_full(policies: dict[str, AccessPolicy], container: str) -> None:
    if len(policies) < POLICY_LIMIT:
        return
    ours = sorted((_policy_time(getattr(p, "expiry", None)) or times.utcnow(), n)
                  for n, p in policies.items() if n.startswith(POLICY_PREFIX))  # fmt: skip
    soonest = f"; the first of them ends at {times.utc_text(ours[0][0])}" if ours else ""
    whose = (f"{len(ours)} of them for revocable shares still live or expired within the last "
             f"{PRUNE_GRACE.seconds // 60} minutes{soonest}; revoke one of those shares (msc.revoke), or"
             if ours else "none of them for msc_notebook shares; remove one of your own, or")  # fmt: skip
    raise PrefixShareError(
        f"container {container!r} already holds {len(policies)} stored access policies, Azure's limit ({whose} "
        f"make this share without revocable=True (its manifest can still be deleted)",
        field="revocable",
    )


def _policy_time(value: Any) -> datetime | None:
    """A policy's start or expiry (the service gives ISO text) as aware UTC."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _header_time(value: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
