"""Taking a share back as far as its storage allows, and saying honestly what remains.

- A share whose URLs name an access policy (Azure, ``revocable=True``): the policy is deleted
  first, so every URL of the share, the link included, is refused at once (Azure may take up
  to 30 s to apply it); then its manifest.
- Any other manifest share: its manifest is deleted, so the link no longer opens. The presigned
  URLs it held check only their signature and expiry: whoever saved the manifest can use them
  until they expire.

`revoke_target` does it from what survives a restart, with the profile's credentials: the
manifest's location (``msc://…`` or ``file://…``) or the link itself. The manifest's own facts
say what it shares and which policy its URLs name. A link is trusted to name its manifest only
if the profile's signer signs that manifest at the very address the link points to, so a
crafted link cannot make anyone delete something else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..core import _times as times
from ..core._errors import PrefixShareError, SignerOptionError, StorageError
from ..core._fetch import Response, error_code, send
from ..core._files import local_path, remove_file
from ..core._signer import ObjectWriter, RevocableSigner, URLSigner
from ..core._storage_url import parse_storage_url
from ._shards import delete_shards

if TYPE_CHECKING:
    from .._client import StorageClient  # the shortcuts pass their cached clients; only a type here

ClientFor = Callable[[str], "StorageClient"]  # profile name -> its client


@dataclass(frozen=True)
class Revoked:
    manifest_existed: bool
    policy_existed: bool | None  # None: the share named no access policy


def take_back(delete_manifest: Callable[[], bool], close_policy: Callable[[], bool] | None) -> Revoked:
    """Delete the policy (if any: every URL refused at once), then the manifest."""
    policy = close_policy() if close_policy is not None else None
    return Revoked(delete_manifest(), policy)


def revoked_text(what: str, revoked: Revoked, policy_id: str | None, count: int | None, until: datetime | None) -> str:
    """What revoking did, and what remains, in plain words."""
    manifest = "its manifest is deleted" if revoked.manifest_existed else "its manifest was already gone"
    if policy_id is not None:
        policy = "is deleted" if revoked.policy_existed else "was already gone"
        return (
            f"{what}: its access policy {policy_id} {policy}, so every URL of the share, the link included, is "
            f"refused from now on (Azure may take up to 30 s to apply it); {manifest}"
        )
    held = f"The {count:,} object URLs it held" if count is not None else "The object URLs it held"
    until_text = f"until {times.utc_text(until)}" if until else "until they expire"
    return (
        f"{what}: {manifest}, so the link no longer opens. {held} cannot be recalled: whoever saved the "
        f"manifest can use them {until_text}"
    )


def revoke_target(target: str, *, access_policy: str | None, client_for: ClientFor) -> str:
    """Revoke the share whose manifest is at ``target`` (``msc://``, ``file://``) or whose link it is."""
    if target[:7].lower() == "file://":
        path = local_path(target)
        facts = _facts(path.read_bytes()) if path.is_file() else {}
        policy = _policy_closer(facts, access_policy, None, client_for)
        return _revoked(facts, target, take_back(lambda: remove_file(path), policy), access_policy)
    if target.lower().startswith(("http://", "https://")):
        return _revoke_link(target, access_policy, client_for)
    where = parse_storage_url(target)
    client = client_for(where.profile)
    return _revoke_stored(_writer(client.signer(), target), where.path, target, access_policy, client_for)


def _revoke_stored(
    writer: ObjectWriter, path: str, location: str, access_policy: str | None, client_for: ClientFor,
    facts: dict[str, Any] | None = None,
) -> str:  # fmt: skip
    if facts is None:
        facts = _stored_facts(writer, path, location)
    named = facts.get("manifest")
    if isinstance(named, str) and named != location:  # a manifest copied elsewhere (or planted) is not this share's
        raise PrefixShareError(f"the manifest at {location} says it is {named}: nothing was deleted", field="path")
    policy = _policy_closer(facts, access_policy, writer, client_for)
    shards = _shard_folder(facts, path, location)

    def delete_manifest() -> bool:
        existed = writer.delete_object(path)  # the link stops opening first; then the shards go
        if shards is not None:
            listed = client_for(parse_storage_url(location).profile).list(shards)
            delete_shards(writer, [entry.key for entry in listed if entry.key.endswith(".parq")])
        return existed

    return _revoked(facts, location, take_back(delete_manifest, policy), access_policy)


SHARD_FOLDER = re.compile(r"[^/]+-shards-[0-9a-f]{6}/")  # how `ManifestDestination.shard_folder` names it


def _shard_folder(facts: dict[str, Any], path: str, location: str) -> str | None:
    """The shard folder a sharded manifest at ``path`` names; only a shard folder beside it, as a
    sharded share makes it, is emptied with it."""
    folder = facts.get("shards")
    if folder is None:
        return None
    where = parse_storage_url(folder) if isinstance(folder, str) and folder.startswith("msc://") else None
    beside = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    if (
        where is None
        or where.profile != parse_storage_url(location).profile
        or not where.path.startswith(beside)
        or not SHARD_FOLDER.fullmatch(where.path[len(beside) :])
    ):
        raise PrefixShareError(
            f"the manifest at {location} names shards that are not beside it ({folder!r}): nothing was deleted",
            field="path",
        )
    return where.path


def _revoke_link(link: str, access_policy: str | None, client_for: ClientFor) -> str:
    answer = _read_manifest(link, "the share's link")
    if answer.status not in (200, 403, 404):
        raise StorageError(f"the share's link could not be read to revoke it: the storage answered {answer.status} "
                           f"{error_code(answer.body)}; try again", field="path")  # fmt: skip
    if answer.status != 200:
        return (
            f"the link no longer opens (the storage answers {answer.status} {error_code(answer.body)}".rstrip()
            + "): nobody can open the share through it any more (it was revoked, or it expired). A manifest "
            "still stored is deleted with msc.revoke(MANIFEST_LOCATION), from share.details.manifest_location"
        )
    facts = _facts(answer.body)
    location = facts.get("manifest")
    if not isinstance(location, str) or not location.startswith("msc://"):
        raise PrefixShareError(
            "this link's manifest does not say where it is stored (a share made by an older msc_notebook, or not a "
            "share's link); revoke it with msc.revoke(MANIFEST_LOCATION), from share.details.manifest_location",
            field="path",
        )
    where = parse_storage_url(location)
    writer = _writer(client_for(where.profile).signer(), location)
    signed_here = writer.sign_many([where.path], expires_in=60, signed_at=times.utcnow().replace(microsecond=0))[0]
    if _address(signed_here) != _address(link):
        raise PrefixShareError(
            f"the link's manifest says it is {location}, but the link points elsewhere: nothing was deleted",
            field="path",
        )
    return _revoke_stored(writer, where.path, location, access_policy, client_for, facts)


def _stored_facts(writer: ObjectWriter, path: str, location: str) -> dict[str, Any]:
    """The manifest's facts, read with a GET signed now; none if it is gone."""
    url = writer.sign_many([path], expires_in=60, signed_at=times.utcnow().replace(microsecond=0))[0]
    answer = _read_manifest(url, f"the manifest {location}")
    if answer.status == 404:
        return {}
    if answer.status != 200:
        raise StorageError(
            f"cannot read the manifest {location} to revoke it: the storage answered {answer.status} "
            f"{error_code(answer.body)}".rstrip(),
            field="path",
        )
    return _facts(answer.body)


MANIFEST_START = b'{"version":'  # how every manifest msc_notebook writes begins (compact JSON)


def _read_manifest(url: str, what: str) -> Response:
    """The manifest at ``url``, read whole only once its first bytes show it is one (revoking must
    not download a large object to find out it is not a manifest); any other answer as it came."""
    head = send("GET", url, what=what, headers={"Range": f"bytes=0-{len(MANIFEST_START) - 1}"})
    if head.status not in (200, 206):
        return head
    if not head.body.startswith(MANIFEST_START):
        raise PrefixShareError("this is not a share's manifest made by msc_notebook: nothing was deleted", field="path")
    return send("GET", url, what=what)


def _facts(body: bytes) -> dict[str, Any]:
    """The ``msc_notebook`` part of a manifest (what it shares, where it is, its policy). Anything
    else is refused: revoking deletes what it names, and only a share's manifest may be deleted."""
    try:
        facts = json.loads(body).get("msc_notebook")
    except (ValueError, AttributeError):
        facts = None
    if not isinstance(facts, dict) or not facts:
        raise PrefixShareError("this is not a share's manifest made by msc_notebook: nothing was deleted", field="path")
    return facts


def _policy_closer(
    facts: dict[str, Any], given: str | None, writer: ObjectWriter | None, client_for: ClientFor
) -> Callable[[], bool] | None:
    """What deletes the share's access policy, if its URLs name one (it lives with the shared objects)."""
    policy = facts.get("access_policy") or given
    if not policy:
        return None
    source = facts.get("source")
    if isinstance(source, str) and isinstance(facts.get("manifest"), str) and facts["manifest"].startswith("msc://"):
        shared, stored = parse_storage_url(source).profile, parse_storage_url(facts["manifest"]).profile
        if shared != stored:  # a revocable share keeps its manifest beside its policy, on its own profile
            raise PrefixShareError(
                f"the manifest says it shares {source} but is stored on profile {stored!r}, so it cannot name that "
                f"share's access policy: nothing was deleted",
                field="path",
            )
    signer = client_for(parse_storage_url(source).profile).signer() if isinstance(source, str) else writer
    if not isinstance(signer, RevocableSigner):
        raise SignerOptionError(f"access policy {policy!r}: this profile's signer holds no access policies", field="path")
    return lambda: signer.close_access_policy(str(policy))


def _revoked(facts: dict[str, Any], location: str, revoked: Revoked, given: str | None) -> str:
    what = f"the share of {facts['source']}" if isinstance(facts.get("source"), str) else f"the share at {location}"
    until = times.parse_time(facts.get("expires"))
    count = facts.get("count") if isinstance(facts.get("count"), int) else None
    return revoked_text(what, revoked, facts.get("access_policy") or given, count, until)


def _writer(signer: URLSigner, location: str) -> ObjectWriter:
    if not isinstance(signer, ObjectWriter):
        raise SignerOptionError(f"{location}: the {signer.signer_type} signer cannot delete a manifest", field="path")
    return signer


def _address(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower(), parts.path
