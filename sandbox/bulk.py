"""A large, deterministic population of sandbox users, made on demand instead of stored.

Why: preflight and revert must tell the truth about domains of 50,000 or 100,000 users, and the
sandbox is where that is tested and measured. Storing that many users in the tenant's JSON state
would make every request re-read tens of megabytes; instead the state records only how many
bulk users fabrikam.com holds (``bulkUsers`` in the state), and each user is computed from its
index when a request needs it. Every property is a pure function of the index:

* ``user000123@fabrikam.com``, id ``b0000000-0000-4000-8000-00000000007b``;
* no ``onPremisesImmutableId`` for one user in 40 (2.5%), a disabled account for one in 53;
* two of them hold Global Administrator (role assignments in the state), both far beyond the
  first pages of any listing.

Filters that only look at what a whole class of users shares (the UPN's domain, enabled or not,
ImmutableID set or not) are answered by counting classes, so ``$count`` over 100,000 users costs
milliseconds; any other filter falls back to building each user in turn.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from core.roles import GLOBAL_ADMIN

BULK_DOMAIN = "fabrikam.com"
NO_IMMUTABLE_EVERY = 40   # 2.5% of the bulk users have no ImmutableID
DISABLED_EVERY = 53       # about 1.9% are disabled
SEED_TIME = "2024-01-15T09:00:00Z"
_ID_PREFIX = "b0000000-0000-4000-8000-"
_ID = re.compile(r"^b0000000-0000-4000-8000-([0-9a-f]{12})$")
_UPN = re.compile(r"^user(\d{6,})@fabrikam\.com$")

_FIRST = ["Ada", "Bruno", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jonas",
          "Kemal", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq"]
_LAST = ["Albers", "Banerjee", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
         "Ito", "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov"]

# Properties that are the same for every bulk user of a class (see ``_class_of``).
_CLASS_PROPERTIES = frozenset({"accountenabled", "usertype", "onpremisessyncenabled",
                               "createddatetime"})


def bulk_id(index: int) -> str:
    return f"{_ID_PREFIX}{index:012x}"


def bulk_upn(index: int) -> str:
    return f"user{index:06d}@{BULK_DOMAIN}"


def admin_indices(count: int) -> tuple[int, ...]:
    """The two bulk users holding Global Administrator: past the first pages of 999."""
    if count < 2:
        return ()
    return tuple(sorted({count * 3 // 5, count - 7 if count > 7 else count - 1}))


def has_immutable_id(index: int) -> bool:
    return index % NO_IMMUTABLE_EVERY != NO_IMMUTABLE_EVERY // 2


def is_enabled(index: int) -> bool:
    return index % DISABLED_EVERY != 5


def bulk_user(index: int, seed: int = 0) -> dict[str, Any]:
    """Bulk user ``index`` as the tenant state would hold it."""
    first, last = _FIRST[index % len(_FIRST)], _LAST[(index * 7) % len(_LAST)]
    upn = bulk_upn(index)
    immutable = None
    if has_immutable_id(index):
        raw = ((seed & 0xFFFF) << 64 | index).to_bytes(16, "little")
        immutable = base64.b64encode(raw).decode("ascii")
    return {
        "id": bulk_id(index), "displayName": f"{first} {last}", "givenName": first,
        "surname": last, "userPrincipalName": upn, "mail": upn, "jobTitle": None,
        "mobilePhone": None, "officeLocation": None, "preferredLanguage": "en-US",
        "businessPhones": [], "accountEnabled": is_enabled(index), "userType": "Member",
        "onPremisesSyncEnabled": False, "onPremisesImmutableId": immutable,
        "createdDateTime": SEED_TIME,
    }


def index_of(key: str, count: int) -> int | None:
    """The bulk index of an object id or UPN, if it names a bulk user."""
    text = key.strip().lower()
    found = _ID.match(text)
    index = int(found.group(1), 16) if found else None
    if index is None:
        by_upn = _UPN.match(text)
        index = int(by_upn.group(1)) if by_upn else None
    return index if index is not None and 0 <= index < count else None


def _class_of(index: int) -> tuple[bool, bool]:
    return has_immutable_id(index), is_enabled(index)


@functools.lru_cache(maxsize=8)
def _class_counts(count: int) -> dict[tuple[bool, bool], int]:
    counts: dict[tuple[bool, bool], int] = {}
    for index in range(count):
        key = _class_of(index)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _representatives(count: int) -> dict[tuple[bool, bool], int]:
    reps: dict[tuple[bool, bool], int] = {}
    for index in range(min(count, NO_IMMUTABLE_EVERY * DISABLED_EVERY)):
        reps.setdefault(_class_of(index), index)
    return reps


def _class_decidable(clauses: list[tuple[str, str, Any]]) -> bool:
    """Whether every clause has the same answer for all bulk users of a class."""
    suffix = "@" + BULK_DOMAIN
    for op, prop, value in clauses:
        name = prop.lower()
        if name in _CLASS_PROPERTIES:
            continue
        if name == "onpremisesimmutableid" and value is None and op in ("eq", "ne"):
            continue
        if name in ("userprincipalname", "mail") and op == "endswith" and isinstance(value, str):
            text = value.lower()
            if suffix.endswith(text) or ("@" in text and text.split("@", 1)[1] != BULK_DOMAIN):
                continue
        return False
    return True


class BulkUsers:
    """The ``count`` bulk users of a tenant; ``matches`` is the sandbox's filter evaluator."""

    def __init__(self, count: int, seed: int = 0) -> None:
        self.count = max(0, int(count))
        self.seed = seed

    def get(self, key: str) -> dict[str, Any] | None:
        index = index_of(key, self.count)
        return bulk_user(index, self.seed) if index is not None else None

    def filtered(self, clauses: list[tuple[str, str, Any]],
                 matches: Callable[[dict[str, Any]], bool]) -> tuple[int, Iterator[int]]:
        """How many bulk users satisfy ``matches`` and an iterator over their indices."""
        if not self.count:
            return 0, iter(())
        if _class_decidable(clauses):
            chosen = {key for key, index in _representatives(self.count).items()
                      if matches(bulk_user(index, self.seed))}
            total = sum(n for key, n in _class_counts(self.count).items() if key in chosen)
            return total, (i for i in range(self.count) if _class_of(i) in chosen)
        hits = [i for i in range(self.count) if matches(bulk_user(i, self.seed))]
        return len(hits), iter(hits)

    def users(self, indices: Iterator[int], skip: int, take: int) -> list[dict[str, Any]]:
        """``take`` users from ``indices`` after skipping ``skip`` of them."""
        out: list[dict[str, Any]] = []
        for position, index in enumerate(indices):
            if position < skip:
                continue
            if len(out) >= take:
                break
            out.append(bulk_user(index, self.seed))
        return out


def apply_bulk(data: dict[str, Any], count: int) -> None:
    """Make tenant state ``data`` hold ``count`` bulk users in fabrikam.com (and their two
    Global Administrator assignments), replacing any earlier bulk population."""
    count = max(0, int(count))
    data["bulkUsers"] = count
    data["roleAssignments"] = [a for a in data.get("roleAssignments", [])
                               if not str(a.get("principalId", "")).startswith(_ID_PREFIX)]
    for n, index in enumerate(admin_indices(count)):
        data["roleAssignments"].append({
            "id": f"b1000000-0000-4000-8000-{n:012x}", "principalId": bulk_id(index),
            "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"})


def bulk_of(data: dict[str, Any], seed: int = 0) -> BulkUsers:
    """The bulk users tenant state ``data`` holds (none in states written before they existed)."""
    raw = data.get("bulkUsers", 0)
    return BulkUsers(raw if isinstance(raw, int) else 0, seed)
