"""The hash chain over the access log: one canonical form of a row, its hash, and the walk that verifies it.

Each AccessLog row carries `chain_seq` (1, 2, 3... with no gaps), `prev_hash` (the previous row's hash, or
GENESIS_HASH for the first) and `hash` = SHA-256(prev_hash + canonical content). The content covers every
column that says what happened and the sorted ids of the people the row discloses, so editing, removing
or adding an AccessedPerson row changes its log row's hash. The writer (records.py), the migration that
chained the rows written before the chain existed and `verify_audit` all hash through `row_hash`.
"""

import datetime
import hashlib
import ipaddress
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from .models import AccessedPerson, AccessLog

GENESIS_HASH = "0" * 64

# The key of the PostgreSQL transaction-level advisory lock that serialises chain writers across every
# process: b"oohaudit" read as a big-endian integer.
CHAIN_LOCK_KEY = int.from_bytes(b"oohaudit", "big")

# What a row's hash covers, besides the people it discloses and prev_hash.
CHAINED_FIELDS = (
    "id",
    "chain_seq",
    "at",
    "user_id",
    "username",
    "agency_id",
    "role",
    "action",
    "object_type",
    "object_ids",
    "incident_id",
    "reason",
    "request_id",
    "ip",
    "detail",
)
_UUID_FIELDS = ("id", "user_id", "agency_id", "incident_id")
_JSON_FIELDS = ("object_ids", "detail")


def _uuid_text(value: object) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))


def _at_text(value: datetime.datetime) -> str:
    if value.tzinfo is None:  # USE_TZ is on; a naive value could only be UTC already
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ip_text(value: object) -> str | None:
    if value is None:
        return None
    try:  # PostgreSQL's inet hands back its own spelling of an IPv6 address
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return str(value)


def _json_as_stored(value: object) -> object:
    """The value as the database gives it back: jsonb prints a float with no fraction as an integer
    (1e16 comes back as 10000000000000000), so integral floats are hashed as integers on both sides."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): _json_as_stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_as_stored(item) for item in value]
    return value


def canonical_content(row: Mapping[str, Any], person_ids: Iterable[object]) -> bytes:
    """The bytes a row's hash covers: sorted-key JSON of CHAINED_FIELDS (keyed by attribute name, UUIDs
    and datetimes as fixed strings) and the sorted ids of the people it discloses."""
    content: dict[str, Any] = {}
    for name in CHAINED_FIELDS:
        value = row[name]
        if name in _UUID_FIELDS:
            value = _uuid_text(value)
        elif name == "at":
            value = _at_text(value)
        elif name == "ip":
            value = _ip_text(value)
        elif name in _JSON_FIELDS:
            value = _json_as_stored(json.loads(json.dumps(value)))
        elif name == "chain_seq":
            value = int(value)
        else:
            value = str(value)
        content[name] = value
    content["people"] = sorted(_uuid_text(p) for p in person_ids)  # a person twice is a forged row
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode()


def row_hash(prev_hash: str, row: Mapping[str, Any], person_ids: Iterable[object]) -> str:
    """SHA-256, in hex, of the previous row's hash followed by this row's canonical content."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_content(row, person_ids)).hexdigest()


def row_values(log: models.Model) -> dict[str, Any]:
    """The chained values of an AccessLog instance (or a historical model's), by attribute name."""
    return {name: getattr(log, name) for name in CHAINED_FIELDS}


@dataclass(frozen=True)
class Break:
    """The first broken link: the row where verification stopped and what is wrong with it."""

    chain_seq: int
    id: uuid.UUID | None  # None when the row is missing altogether
    problem: str

    def __str__(self) -> str:
        row = f"chain_seq {self.chain_seq}" + (f" (id {self.id})" if self.id is not None else "")
        return f"chain broken at {row}: {self.problem}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of walking the chain: rows verified before the first break (if any), and the last
    intact row's chain_seq and hash."""

    rows: int
    last_seq: int
    last_hash: str
    broken: Break | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _chunks(chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    """The log in (chain_seq, id) order, chunk_size rows at a time by keyset, each row with its people:
    memory stays flat whatever the size of the table. Two queries per chunk."""
    rows = AccessLog.objects.order_by("chain_seq", "id").values(*CHAINED_FIELDS, "prev_hash", "hash")
    after = None
    while True:
        page = rows
        if after is not None:  # (chain_seq, id) keyset: a forged duplicate chain_seq is still visited
            page = rows.filter(Q(chain_seq__gt=after[0]) | Q(chain_seq=after[0], id__gt=after[1]))
        chunk = list(page[:chunk_size])
        if not chunk:
            return
        people = defaultdict(list)
        disclosed = AccessedPerson.objects.filter(log_id__in=[row["id"] for row in chunk])
        for log_id, person_id in disclosed.values_list("log_id", "person_id"):
            people[log_id].append(person_id)
        for row in chunk:
            row["people"] = people[row["id"]]
        yield chunk
        after = (chunk[-1]["chain_seq"], chunk[-1]["id"])


def verify_chain(*, chunk_size: int = 1000, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the whole chain and stop at the first row whose position, link or content is wrong.

    `anchor` (a chain_seq and hash printed by an earlier run) must still be in the chain: without it
    a log cut short at its tail, or rewritten and re-hashed from some row on, still verifies.
    """
    count, last_seq, last_hash = 0, 0, GENESIS_HASH
    for chunk in _chunks(chunk_size):
        for row in chunk:
            problem = _problem(row, last_seq, last_hash)
            if (
                problem is None
                and anchor is not None
                and row["chain_seq"] == anchor[0]
                and row["hash"] != anchor[1]
            ):
                problem = f"not the anchored row: its hash is {row['hash']}, the anchor says {anchor[1]}"
            if problem is not None:
                return Verdict(count, last_seq, last_hash, Break(row["chain_seq"], row["id"], problem))
            count, last_seq, last_hash = count + 1, row["chain_seq"], row["hash"]
    if anchor is not None and last_seq < anchor[0]:
        missing = Break(
            anchor[0], None, f"row missing: the chain ends at chain_seq {last_seq}, before this anchor"
        )
        return Verdict(count, last_seq, last_hash, missing)
    return Verdict(count, last_seq, last_hash)


def _problem(row: Mapping[str, Any], last_seq: int, last_hash: str) -> str | None:
    """What is wrong with `row` following the row (last_seq, last_hash), or None."""
    seq = row["chain_seq"]
    if seq is None:  # only possible with the NOT NULL constraint dropped
        return "no chain_seq"
    if seq <= last_seq:  # rows come in chain_seq order, so this one repeats the previous row's
        return f"duplicate chain_seq: another row is also chain_seq {seq}"
    if seq != last_seq + 1:
        after = "the chain starts there, not at 1" if last_seq == 0 else f"it follows chain_seq {last_seq}"
        return f"row missing before it: {after}"
    if row["prev_hash"] != last_hash:
        before = "the genesis value" if last_seq == 0 else f"the hash of chain_seq {last_seq}"
        return f"link broken: its prev_hash is not {before}"
    try:
        intact = row_hash(row["prev_hash"], row, row["people"]) == row["hash"]
    except (TypeError, ValueError, AttributeError):  # a column emptied or given a value of another type
        intact = False
    if not intact:
        return "content changed: its hash does not match its columns and the people it discloses"
    return None
