"""Listing without listing: S3 Inventory reports as a share's listing, against SeaweedFS.

SeaweedFS writes no inventory, so the tests write reports exactly as AWS documents them (the
S3 User Guide, "Locating your inventory list" and "Amazon S3 Inventory list"): in the
destination bucket, ``DEST-PREFIX/SOURCE-BUCKET/CONFIG-ID/YYYY-MM-DDTHH-MMZ/manifest.json`` with
its ``manifest.checksum`` and Hive ``symlink.txt``, and data files under
``DEST-PREFIX/SOURCE-BUCKET/CONFIG-ID/data/``: CSV compressed with GZIP (no header, every field
quoted, keys URL-encoded as forms are: a space is ``+``), ORC compressed with ZLIB, Parquet
with Snappy, with AWS's field names and types. Every request goes through the fault proxy,
which counts them: reading a report makes no ListObjectsV2 call.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import islice
from urllib.parse import quote_plus

import pyarrow as pa
import pyarrow.orc as orc
import pyarrow.parquet as pq
import pytest
from conftest import BUCKET, seaweed_profile
from support import fault_proxy as faults
from support.fault_proxy import FaultProxy

import msc_notebook as msc
from msc_notebook.core import _times as times
from msc_notebook.core._listing import ObjectMetadata
from msc_notebook.shares._inventory import (
    InventoryDependencyError,
    InventoryError,
    inventory_objects,
)

pytestmark = pytest.mark.e2e  # SeaweedFS, the fault proxy, one resumed read

ROOT = "inventory-tests"  # profile 'shared' is BUCKET/ROOT: the source objects' keys start with it
REPORTS = "inventory-reports"  # the destination prefix, in the same bucket (AWS allows it)
LISTING = "list-type=2"  # ListObjectsV2's query
MODIFIED = datetime(2026, 11, 20, 8, 30, 15, tzinfo=timezone.utc)

CURRENT_CSV = "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded"
VERSIONED_CSV = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass"
UNSIZED_CSV = "Bucket, Key, LastModifiedDate, StorageClass"
# What each CSV field is called in ORC and Parquet reports, and its type there.
COLUMNS = {
    "Bucket": ("bucket", pa.string(), "string", "required binary bucket (UTF8)"),
    "Key": ("key", pa.string(), "string", "required binary key (UTF8)"),
    "VersionId": ("version_id", pa.string(), "string", "optional binary version_id (UTF8)"),
    "IsLatest": ("is_latest", pa.bool_(), "boolean", "optional boolean is_latest"),
    "IsDeleteMarker": ("is_delete_marker", pa.bool_(), "boolean", "optional boolean is_delete_marker"),
    "Size": ("size", pa.int64(), "bigint", "optional int64 size"),
    "LastModifiedDate": (
        "last_modified_date", pa.timestamp("ms", tz="UTC"), "timestamp", "optional int64 last_modified_date (TIMESTAMP_MILLIS)"
    ),
    "ETag": ("e_tag", pa.string(), "string", "optional binary e_tag (UTF8)"),
    "StorageClass": ("storage_class", pa.string(), "string", "optional binary storage_class (UTF8)"),
    "IsMultipartUploaded": ("is_multipart_uploaded", pa.bool_(), "boolean", "optional boolean is_multipart_uploaded"),
}  # fmt: skip
FORMATS = ["CSV", "Parquet", "ORC"]


@dataclass(frozen=True)
class Row:
    """One object version as a report lists it (``key`` as S3 holds it: not yet URL-encoded)."""

    key: str
    size: int | None = 7
    modified: datetime = MODIFIED
    version: str | None = None
    latest: bool = True
    marker: bool = False


def under(key: str) -> str:
    return f"{ROOT}/{key}"


# Under the shared prefix "data/" (of profile 'shared': keys ROOT/data/...), in the report's order:
# not sorted, as AWS's are not.
INSIDE = [
    Row(under("data/zeta.bin"), 11),
    Row(under("data/with space.txt"), 12),
    Row(under("data/plus+sign.txt"), 13),
    Row(under("data/a+b c/100%.txt"), 14),
    Row(under("data/ünïcødé/日本語 ファイル.txt"), 15),
    Row(under("data/sub/"), 0),  # a folder marker: listed as a listing lists it
    Row(under("data/empty"), 0),
    Row(under("data/alpha.bin"), 16),
]
OUTSIDE = [
    Row(under("datafile.txt")),  # starts like the prefix, is not under it
    Row(under("other/data/x.bin")),
    Row("data/not-in-the-profile.bin"),  # outside the profile's base_path prefix
    Row(f"{REPORTS}/{BUCKET}/old/data/report.csv.gz"),
]


def listed(rows: list[Row]) -> list[tuple[str, int | None, datetime | None]]:
    """What the reader should yield for ``rows`` of the shared profile, in order."""
    return [(row.key[len(ROOT) + 1 :], row.size, row.modified) for row in rows]


def found(objects) -> list[tuple[str, int | None, datetime | None]]:
    return [(entry.key, entry.content_length, entry.last_modified) for entry in objects]


# Writing reports as AWS does.


def csv_gz(rows: list[Row], schema: str, *, slashes_encoded: bool) -> bytes:
    """A CSV data file: gzip, no header, every field quoted, keys URL-encoded as forms are."""
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for row in rows:
        writer.writerow([_csv_value(field, row, slashes_encoded) for field in _fields(schema)])
    return gzip.compress(text.getvalue().encode())


def _csv_value(field: str, row: Row, slashes_encoded: bool) -> str:
    value = _value(field, row)
    if field == "Key":
        return quote_plus(row.key, safe="" if slashes_encoded else "/")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return "" if value is None else str(value)


def _value(field: str, row: Row):
    return {
        "Bucket": BUCKET, "Key": row.key, "VersionId": row.version, "IsLatest": row.latest,
        "IsDeleteMarker": row.marker, "Size": None if row.marker else row.size, "LastModifiedDate": row.modified,
        "ETag": None if row.marker else "d41d8cd98f00b204e9800998ecf8427e", "StorageClass": "STANDARD",
        "IsMultipartUploaded": False,
    }[field]  # fmt: skip


def _fields(schema: str) -> list[str]:
    return [name.strip() for name in schema.split(",")]


def arrow_table(rows: list[Row], schema: str) -> pa.Table:
    fields = _fields(schema)
    return pa.table(
        {COLUMNS[field][0]: pa.array([_value(field, row) for row in rows], COLUMNS[field][1]) for field in fields},
        schema=pa.schema([pa.field(COLUMNS[f][0], COLUMNS[f][1], nullable=f not in ("Bucket", "Key")) for f in fields]),
    )


def parquet_file(rows: list[Row], schema: str, group: int) -> bytes:
    sink = io.BytesIO()
    pq.write_table(arrow_table(rows, schema), sink, compression="snappy", row_group_size=group)
    return sink.getvalue()


def orc_file(rows: list[Row], schema: str, group: int) -> bytes:
    table = arrow_table(rows, schema)
    if "last_modified_date" in table.column_names:  # ORC's timestamp: UTC, without a zone
        at = table.column_names.index("last_modified_date")
        table = table.set_column(at, "last_modified_date", table.column(at).cast(pa.timestamp("ms")))
    sink = io.BytesIO()
    # ORC cuts a stripe only past a 64 KiB compression block: a small report has one, whatever stripe_size says
    orc.write_table(table, sink, compression="zlib", stripe_size=1, batch_size=group)
    return sink.getvalue()


def file_schema(file_format: str, schema: str) -> str:
    fields = _fields(schema)
    if file_format == "CSV":
        return schema
    if file_format == "ORC":
        return "struct<" + ",".join(f"{COLUMNS[f][0]}:{COLUMNS[f][2]}" for f in fields) + ">"
    return "message s3.inventory { " + " ".join(f"{COLUMNS[f][3]};" for f in fields) + " }"


def write_report(
    s3,
    file_format: str,
    parts: list[list[Row]],
    *,
    schema: str = CURRENT_CSV,
    created: datetime | None = None,
    group: int = 3,
    config: str | None = None,
    edit=None,
) -> str:
    """A report of BUCKET with one data file per part, put into BUCKET under REPORTS; the key of
    its manifest.json. ``group``: rows per Parquet row group (and ORC stripes to match: small
    groups make several per file); ``edit(manifest)`` changes the manifest before it is written."""
    created = created or times.utcnow() - timedelta(hours=20)
    base = f"{REPORTS}/{BUCKET}/{config or 'cfg-' + uuid.uuid4().hex[:8]}"
    files = []
    for number, rows in enumerate(parts):
        ext = {"CSV": "csv.gz", "Parquet": "parquet", "ORC": "orc"}[file_format]
        key = f"{base}/data/{uuid.uuid4()}.{ext}"
        if file_format == "CSV":
            body = csv_gz(rows, schema, slashes_encoded=number % 2 == 1)  # both ways: AWS's '/' is not documented
        else:
            body = (parquet_file if file_format == "Parquet" else orc_file)(rows, schema, group)
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        files.append({"key": key, "size": len(body), "MD5checksum": hashlib.md5(body).hexdigest()})
    manifest = {
        "sourceBucket": BUCKET,
        "destinationBucket": f"arn:aws:s3:::{BUCKET}",
        "version": "2016-11-30",
        "creationTimestamp": str(int(created.timestamp() * 1000)),
        "fileFormat": file_format,
        "fileSchema": file_schema(file_format, schema),
        "files": files,
    }
    if edit is not None:
        edit(manifest)
    body = json.dumps(manifest, indent=4).encode()
    folder = f"{base}/{created:%Y-%m-%dT%H-%MZ}"
    s3.put_object(Bucket=BUCKET, Key=f"{folder}/manifest.json", Body=body)
    s3.put_object(Bucket=BUCKET, Key=f"{folder}/manifest.checksum", Body=hashlib.md5(body).hexdigest().encode())
    symlinks = "".join(f"s3://{BUCKET}/{entry['key']}\n" for entry in files)
    s3.put_object(Bucket=BUCKET, Key=f"{base}/hive/dt={created:%Y-%m-%d-%H-%M}/symlink.txt", Body=symlinks.encode())
    return f"{folder}/manifest.json"


# Profiles: 'shared' (BUCKET/ROOT) is shared; 'reports' (BUCKET) reads the reports; 'buckets' has no
# bucket in its base_path (paths start with their bucket). All through the proxy, which counts requests.


@pytest.fixture(scope="module")
def proxy(seaweedfs):
    with FaultProxy(seaweedfs.port) as proxy:
        yield proxy


def proxied(seaweedfs, proxy: FaultProxy, base_path: str) -> dict:
    raw = seaweed_profile(seaweedfs, base_path=base_path)
    raw["storage_provider"]["options"].update(endpoint_url=proxy.endpoint_url, connect_timeout=2, read_timeout=2)
    return raw


@pytest.fixture
def profiles(seaweedfs, proxy, write_config):
    proxy.clear()
    write_config({
        "shared": proxied(seaweedfs, proxy, f"{BUCKET}/{ROOT}"),
        "reports": proxied(seaweedfs, proxy, BUCKET),
        "buckets": proxied(seaweedfs, proxy, ""),
        "narrow": proxied(seaweedfs, proxy, f"{BUCKET}/{REPORTS}/elsewhere"),
        "azure": {"storage_provider": {"type": "azure", "options": {"base_path": "container",
                  "endpoint_url": "http://127.0.0.1:1/devstoreaccount1"}}},
    })  # fmt: skip
    yield
    proxy.clear()


def read(manifest_key: str, prefix: str = "data/", *, profile: str = "shared", through: str = "reports"):
    facts, objects = inventory_objects(msc.storage_client(profile), f"msc://{through}/{manifest_key}", prefix)
    return facts, list(objects)


# The objects a report lists.


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_report_yields_exactly_the_objects_under_the_prefix_in_its_order(s3, profiles, proxy, file_format):
    parts = [INSIDE[:3] + OUTSIDE[:2], OUTSIDE[2:] + INSIDE[3:]]  # two data files
    manifest = write_report(s3, file_format, parts)
    facts, objects = read(manifest)
    assert found(objects) == listed(INSIDE)
    assert all(isinstance(entry, ObjectMetadata) and entry.type == "file" for entry in objects)
    assert all(entry.last_modified.tzinfo == timezone.utc for entry in objects)
    assert facts.file_format == file_format and facts.source_bucket == BUCKET and facts.destination_bucket == BUCKET
    assert not facts.versioned and len(facts.files) == 2
    assert proxy.count("GET", LISTING) == 0  # listing without listing
    assert proxy.count("GET", "manifest.json") == 1 and proxy.count("GET", "/data/") >= 2
    assert not [request for request in proxy.requests if request[0] != "GET"]


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_versioned_report_yields_current_versions_and_no_delete_markers(s3, profiles, file_format):
    rows = [
        Row(under("data/a.txt"), 1, version="v1", latest=False),
        Row(under("data/a.txt"), 2, version="v2"),  # the current version
        Row(under("data/deleted.txt"), 3, version="v1", latest=False),
        Row(under("data/deleted.txt"), version="m1", marker=True),  # deleted: its latest is a delete marker
        Row(under("data/back.txt"), version="m0", latest=False, marker=True),  # deleted, then written again
        Row(under("data/back.txt"), 4, version="v2"),
        Row(under("data/null version.txt"), 5, version="null"),  # written before versioning was enabled
        Row(under("other/a.txt"), 6, version="v1"),
    ]
    facts, objects = read(write_report(s3, file_format, [rows], schema=VERSIONED_CSV))
    assert facts.versioned
    assert found(objects) == [("data/a.txt", 2, MODIFIED), ("data/back.txt", 4, MODIFIED),
                              ("data/null version.txt", 5, MODIFIED)]  # fmt: skip


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_report_without_sizes_yields_none(s3, profiles, file_format):
    rows = [Row(under("data/one"), 1), Row(under("data/two"), 2)]
    _, objects = read(write_report(s3, file_format, [rows], schema=UNSIZED_CSV))
    assert found(objects) == [("data/one", None, MODIFIED), ("data/two", None, MODIFIED)]


def test_the_whole_profile_and_a_profile_whose_paths_start_with_their_bucket(s3, profiles):
    manifest = write_report(s3, "CSV", [INSIDE + OUTSIDE])
    _, everything = read(manifest, "")
    assert [key for key, _, _ in found(everything)] == [row.key[len(ROOT) + 1 :] for row in INSIDE + OUTSIDE[:2]]
    _, objects = read(f"{BUCKET}/{manifest}", f"{BUCKET}/{ROOT}/data/", profile="buckets", through="buckets")
    assert found(objects) == [(f"{BUCKET}/{ROOT}/{key}", size, when) for key, size, when in listed(INSIDE)]


def test_a_report_read_through_the_shared_profile_itself(s3, profiles):
    """A report whose destination prefix is inside the shared profile's base_path."""
    key = write_report(s3, "CSV", [INSIDE])
    moved = f"{ROOT}/{key}"  # the same report, copied under ROOT (manifest and data files)
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    for entry in manifest["files"]:
        body = s3.get_object(Bucket=BUCKET, Key=entry["key"])["Body"].read()
        entry["key"] = f"{ROOT}/{entry['key']}"
        s3.put_object(Bucket=BUCKET, Key=entry["key"], Body=body)
    s3.put_object(Bucket=BUCKET, Key=moved, Body=json.dumps(manifest).encode())
    _, objects = read(key, through="shared")
    assert found(objects) == listed(INSIDE)


def test_reading_is_lazy_and_streams_file_by_file(s3, profiles, proxy):
    manifest = write_report(s3, "CSV", [INSIDE[:2], INSIDE[2:4], INSIDE[4:]])
    facts, objects = inventory_objects(msc.storage_client("shared"), f"msc://reports/{manifest}", "data/")
    assert proxy.count("GET", "/data/") == 0  # the facts are read now; the data files when iterated
    assert [entry.key for entry in islice(objects, 2)] == ["data/zeta.bin", "data/with space.txt"]
    assert proxy.count("GET", facts.files[0].key.rsplit("/", 1)[1]) == 1
    assert proxy.count("GET", facts.files[1].key.rsplit("/", 1)[1]) == 0
    assert len(list(objects)) == len(INSIDE) - 2


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_data_file_cut_midway_is_resumed_where_it_broke(s3, profiles, proxy, file_format, monkeypatch):
    many = [Row(under(f"data/part {i:05d} {uuid.uuid4()}.bin"), i) for i in range(12_000)]  # 200-500 kB
    manifest = write_report(s3, file_format, [many], group=1000)
    data_file = json.loads(s3.get_object(Bucket=BUCKET, Key=manifest)["Body"].read())["files"][0]["key"]
    body = io.BytesIO(s3.get_object(Bucket=BUCKET, Key=data_file)["Body"].read())
    if file_format != "CSV":  # read a row group (a stripe) at a time
        assert (pq.ParquetFile(body).num_row_groups if file_format == "Parquet" else orc.ORCFile(body).nstripes) >= 2
    name = data_file.rsplit("/", 1)[1]
    proxy.add(faults.cut_body(), method="GET", contains=name)
    proxy.add(faults.answer(503, "SlowDown"), method="GET", contains=name)
    ranges = []  # (Range, If-Match) of each GET of the data file
    urlopen = urllib.request.urlopen

    def recorded(request, timeout=None):
        if name in request.full_url:
            ranges.append((request.get_header("Range"), request.get_header("If-match")))
        return urlopen(request, timeout=timeout)

    monkeypatch.setattr(urllib.request, "urlopen", recorded)
    _, objects = read(manifest)
    assert found(objects) == listed(many)
    assert proxy.count("GET", name) == len(ranges) >= 3  # cut, refused for a moment, then resumed
    cut_at = int(ranges[1][0].removeprefix("bytes=").removesuffix("-"))
    assert ranges[0][1] is None and ranges[1][1] == ranges[2][1] is not None  # If-Match the first answer's ETag
    assert ranges[2][0] == ranges[1][0] and (cut_at > 0 or file_format != "CSV")  # where it broke, not byte 0


# Refusals.


def test_a_report_of_another_bucket_is_refused_before_any_data_file_is_read(s3, profiles, proxy):
    manifest = write_report(s3, "CSV", [INSIDE], edit=lambda m: m.update(sourceBucket="someone-elses-bucket"))
    with pytest.raises(InventoryError) as caught:
        read(manifest)
    message = str(caught.value)
    assert caught.value.field == "inventory" and isinstance(caught.value, msc.PrefixShareError)
    assert "reports bucket 'someone-elses-bucket' (its sourceBucket), not 'msc-test-bucket'" in message, message
    assert proxy.count("GET", "/data/") == 0


def test_data_files_in_another_bucket_say_which_profile_is_needed(s3, profiles):
    manifest = write_report(s3, "CSV", [INSIDE], edit=lambda m: m.update(destinationBucket="arn:aws:s3:::inventories"))
    with pytest.raises(InventoryError, match="are in bucket 'inventories' .*base_path is 'inventories'") as caught:
        read(manifest)
    assert caught.value.field == "inventory"
    original = s3.get_object(Bucket=BUCKET, Key=write_report(s3, "CSV", [INSIDE]))["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=f"{REPORTS}/elsewhere/manifest.json", Body=original)  # its data files are not
    with pytest.raises(
        InventoryError, match="outside profile 'narrow'.*base_path is the bucket 'msc-test-bucket' alone"
    ):
        read("manifest.json", through="narrow")


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda m: m.pop("fileFormat"), "it has no fileFormat"),
        (lambda m: m.update(fileFormat="XML"), "fileFormat is 'XML', not CSV, ORC or Parquet"),
        (lambda m: m.update(creationTimestamp="yesterday"), "creationTimestamp 'yesterday' is not milliseconds"),
        (lambda m: m.update(files={"key": "x"}), "its files is not a list"),
        (lambda m: m["files"][0].pop("size"), "file 1 of its files is not {key, size, MD5checksum}"),
        (lambda m: m.update(fileSchema="Bucket, Size"), "its fileSchema names no Key field"),
        (lambda m: m.update(sourceBucket=7), "it has int '7' as its sourceBucket"),
        (lambda m: m.clear(), "it has no sourceBucket"),
    ],
    ids=["no-format", "unknown-format", "bad-timestamp", "files-not-list", "file-without-size", "no-key", "bucket-not-text", "empty"],
)  # fmt: skip
def test_a_malformed_manifest_is_refused_with_what_is_wrong(s3, profiles, edit, says):
    manifest = write_report(s3, "CSV", [INSIDE], edit=edit)
    with pytest.raises(InventoryError) as caught:
        read(manifest)
    assert "is not an S3 Inventory manifest.json as AWS writes it" in str(caught.value)
    assert says in str(caught.value), str(caught.value)


def test_a_manifest_that_is_not_json_or_not_there(s3, profiles):
    s3.put_object(Bucket=BUCKET, Key=f"{REPORTS}/broken/manifest.json", Body=b"<html>not json</html>")
    with pytest.raises(InventoryError, match="it is not JSON"):
        read(f"{REPORTS}/broken/manifest.json")
    with pytest.raises(InventoryError, match=r"is not there \(404 NoSuchKey\)"):
        read(f"{REPORTS}/nothing-here/manifest.json")
    with pytest.raises(InventoryError, match="name the report's manifest.json"):
        read(f"{REPORTS}/{BUCKET}/")


def test_a_missing_or_damaged_data_file(s3, profiles):
    manifest = write_report(s3, "CSV", [INSIDE, INSIDE])
    files = json.loads(s3.get_object(Bucket=BUCKET, Key=manifest)["Body"].read())["files"]
    s3.delete_object(Bucket=BUCKET, Key=files[1]["key"])
    facts, objects = inventory_objects(msc.storage_client("shared"), f"msc://reports/{manifest}", "data/")
    assert [entry.key for entry in islice(objects, len(INSIDE))] == [key for key, _, _ in listed(INSIDE)]
    with pytest.raises(InventoryError, match=r"data file msc://reports/.*\.csv\.gz is not there \(404 NoSuchKey\)"):
        next(objects)
    s3.put_object(Bucket=BUCKET, Key=files[1]["key"], Body=b"not gzip at all, and not the manifest's size")
    with pytest.raises(InventoryError, match="is .* bytes, but the manifest says"):
        read(manifest)
    s3.put_object(Bucket=BUCKET, Key=files[1]["key"], Body=b"x" * files[1]["size"])
    with pytest.raises(InventoryError, match="is not an S3 Inventory data file as AWS writes it: row 1 has 1 fields"):
        read(manifest)


def test_refusals_of_profile_and_url(s3, profiles):
    manifest = write_report(s3, "CSV", [INSIDE])
    shared = msc.storage_client("shared")
    with pytest.raises(
        msc.UnknownProfileError, match="inventory 'msc://nobody/.*': profile 'nobody' is not in"
    ) as caught:
        inventory_objects(shared, f"msc://nobody/{manifest}", "data/")
    assert caught.value.field == "inventory"
    with pytest.raises(InventoryError, match="name the report's manifest as msc://PROFILE"):
        inventory_objects(shared, f"s3://{BUCKET}/{manifest}", "data/")
    with pytest.raises(InventoryError, match="'azure', is 'azure' storage"):
        inventory_objects(msc.storage_client("azure"), f"msc://reports/{manifest}", "data/")


def test_reading_orc_or_parquet_without_pyarrow_says_how_to_install_it(s3, profiles, monkeypatch):
    manifest = write_report(s3, "Parquet", [INSIDE])
    for name in [name for name in sys.modules if name == "pyarrow" or name.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, name, None)  # an import of it fails, as when it is not installed
    with pytest.raises(InventoryDependencyError, match="needs pyarrow: pip install pyarrow") as caught:
        read(manifest)
    assert isinstance(caught.value, ImportError) and caught.value.field == "inventory"
    _, objects = read(write_report(s3, "CSV", [INSIDE]))  # a CSV report needs nothing more
    assert found(objects) == listed(INSIDE)


# How old a report is.


def test_the_report_says_how_old_it_is(s3, profiles):
    created = (times.utcnow() - timedelta(days=3, hours=5)).replace(microsecond=0)
    facts, _ = read(write_report(s3, "CSV", [INSIDE], created=created))
    assert facts.creation_time == created and facts.creation_time.tzinfo == timezone.utc
    assert facts.age() >= timedelta(days=3, hours=5)
    assert facts.age_text() == (
        f"the inventory is 3 days old (created {created:%Y-%m-%d %H:%M:%S} UTC): objects added or deleted since "
        f"are not reflected"
    )
    assert facts.age_text(created + timedelta(hours=1, minutes=59)).startswith("the inventory is 1 hour old")
    assert facts.age_text(created + timedelta(seconds=20)).startswith("the inventory is less than a minute old")
    assert "after this machine's clock: check the clock" in facts.age_text(created - timedelta(hours=2))
    assert facts.report_bytes == sum(file.size for file in facts.files) > 0


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_data_file_that_is_not_one_of_its_format(s3, profiles, file_format):
    manifest = write_report(s3, file_format, [INSIDE])
    entry = json.loads(s3.get_object(Bucket=BUCKET, Key=manifest)["Body"].read())["files"][0]
    body = s3.get_object(Bucket=BUCKET, Key=entry["key"])["Body"].read()
    damaged = body[: len(body) // 2] + bytes(len(body) - len(body) // 2)  # its second half zeroed: same size
    s3.put_object(Bucket=BUCKET, Key=entry["key"], Body=damaged)
    expected = {
        "CSV": "row 1 cannot be read",
        "Parquet": "cannot be read as Parquet: ",
        "ORC": "cannot be read as ORC: ",
    }
    with pytest.raises(InventoryError, match=expected[file_format]) as caught:
        read(manifest)
    assert caught.value.field == "inventory" and "Traceback" not in str(caught.value)


def test_bad_values_in_a_csv_report_name_their_row(s3, profiles):
    manifest = write_report(s3, "CSV", [INSIDE])
    entry = json.loads(s3.get_object(Bucket=BUCKET, Key=manifest)["Body"].read())["files"][0]
    rows = [[BUCKET, "inventory-tests/data/a", "7", "2026-11-20T08:30:15.000Z", "", "STANDARD", "false"],
            [BUCKET, "inventory-tests/data/b", "seven", "2026-11-20T08:30:15.000Z", "", "STANDARD", "false"]]  # fmt: skip
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    body = gzip.compress(text.getvalue().encode())
    s3.put_object(Bucket=BUCKET, Key=entry["key"], Body=body)
    manifest_body = json.loads(s3.get_object(Bucket=BUCKET, Key=manifest)["Body"].read())
    manifest_body["files"][0]["size"] = len(body)
    s3.put_object(Bucket=BUCKET, Key=manifest, Body=json.dumps(manifest_body).encode())
    with pytest.raises(InventoryError, match="row 2 has a Size or LastModifiedDate that is not one"):
        read(manifest)


def test_credentials_that_cannot_read_the_report_and_a_storage_that_keeps_failing(
    s3, profiles, proxy, seaweedfs, write_config
):
    manifest = write_report(s3, "CSV", [INSIDE])
    wrong = proxied(seaweedfs, proxy, BUCKET)
    wrong["credentials_provider"]["options"]["secret_key"] = "not-the-secret-" + "x" * 25
    write_config({"shared": proxied(seaweedfs, proxy, f"{BUCKET}/{ROOT}"), "reports": wrong})
    with pytest.raises(
        msc.CredentialsError, match="refused to read the inventory manifest .*credentials of profile 'reports'"
    ) as caught:
        read(manifest)
    assert caught.value.field == "inventory" and "not-the-secret" not in str(caught.value)
    write_config(
        {"shared": proxied(seaweedfs, proxy, f"{BUCKET}/{ROOT}"), "reports": proxied(seaweedfs, proxy, BUCKET)}
    )
    proxy.clear()
    proxy.add(faults.answer(503, "SlowDown"), method="GET", contains="manifest.json", times=None)
    with pytest.raises(
        msc.StorageError,
        match=r"no whole answer from the storage to the inventory manifest .* after 3 attempts \(503 SlowDown\)",
    ):
        read(manifest)
    assert proxy.count("GET", "manifest.json") == 3


# A share made from a report: share_prefix(..., inventory=...)


def test_a_share_made_from_a_report_lists_nothing_and_its_urls_read_the_objects(s3, profiles, proxy):
    import requests

    rows = [Row(under("data/one.txt"), 3), Row(under("data/two words.txt"), 9), Row(under("other/x.txt"), 1)]
    for row, body in zip(rows[:2], (b"one", b"two words"), strict=True):
        s3.put_object(Bucket=BUCKET, Key=row.key, Body=body)
    manifest = write_report(s3, "CSV", [rows])
    proxy.clear()
    with pytest.warns(msc.InventoryAgeWarning, match=r"the share lists what the inventory is 20 hours old"):
        share = msc.share_prefix("msc://shared/data/*", inventory=f"msc://reports/{manifest}", progress=False)
    assert proxy.count("GET", LISTING) == 0 and share.count == 2 and share.total_bytes == 12
    assert {key: requests.get(url, timeout=10).content for key, url in share.urls.items()} == {
        "one.txt": b"one", "two words.txt": b"two words"}  # fmt: skip
    with pytest.raises(msc.SignerOptionError, match="inventory must be msc://") as caught:
        msc.share_prefix("msc://shared/data/*", inventory=3)
    assert caught.value.field == "inventory"


def test_the_command_line_shares_from_a_report_with_inventory(s3, profiles, proxy):
    from support.cli import run_cli

    rows = [Row(under("data/one.txt"), 3)]
    s3.put_object(Bucket=BUCKET, Key=rows[0].key, Body=b"one")
    manifest = write_report(s3, "CSV", [rows])
    proxy.clear()
    with pytest.warns(msc.InventoryAgeWarning, match="hours old"):  # on a terminal, Python prints it to stderr
        done = run_cli("presign", "msc://shared/data/*", "--inventory", f"msc://reports/{manifest}", "--list")
    assert done.returncode == 0, done.stderr
    assert proxy.count("GET", LISTING) == 0 and done.stdout.count("\n") == 1 and "one.txt" in done.stdout
    done = run_cli("presign", "msc://shared/data/one.txt", "--inventory", f"msc://reports/{manifest}")
    assert done.returncode != 0 and "--inventory is for sharing a prefix" in done.stderr
