"""Lists of names a check found (users without an ImmutableID, Global Administrators in scope),
as text to copy and as CSV to open in Excel, the same for every face.

Names come from Graph: data, never formulas. A spreadsheet runs a cell that starts with ``=``,
``+``, ``-``, ``@`` (or a tab or carriage return) as a formula, so such a cell is written with a
leading apostrophe, as OWASP advises (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from core.preflight.model import CheckResult

if TYPE_CHECKING:
    from core.graph.client import GraphClient

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DISABLED = " (disabled)"
# What the names of each check's list are (the CSV's first column).
COLUMN: dict[str, str] = {"users.immutable_id": "userPrincipalName",
                          "users.blast_radius": "userPrincipalName"}


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it, never runs it."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """CSV (RFC 4180, CRLF line ends) with every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(str(c)) for c in row])
    return out.getvalue()


def check_rows(check: CheckResult) -> tuple[list[str], list[list[str]]]:
    """The names ``check`` lists as a table: (header, rows). A user's " (disabled)" becomes an
    accountEnabled column."""
    column = COLUMN.get(check.id, "name")
    if column == "userPrincipalName":
        rows = [[item[:-len(_DISABLED)], "false"] if item.endswith(_DISABLED) else [item, "true"]
                for item in check.items]
        return [column, "accountEnabled"], rows
    return [column], [[item] for item in check.items]


def check_csv(check: CheckResult) -> str:
    header, rows = check_rows(check)
    return csv_text(header, rows)


def check_text(check: CheckResult) -> str:
    """The names, one a line (to paste into a ticket or a PowerShell array)."""
    return "\n".join(row[0] for row in check_rows(check)[1])


def password_users(client: GraphClient, domains: Iterable[str]) -> list[list[str]]:
    """The users who will sign in with a Microsoft password after a revert (everyone in the
    domain and the subdomains that follow it), read from Graph page by page:
    [userPrincipalName, accountEnabled], sorted."""
    from core.graph import api

    rows: list[list[str]] = []
    for domain in domains:
        page = api.users_in_domain(client, domain,
                                   select=("userPrincipalName", "accountEnabled"))
        rows += [[str(u.get("userPrincipalName") or ""),
                  "false" if u.get("accountEnabled") is False else "true"]
                 for u in page.users]
    return sorted(rows, key=lambda r: r[0].lower())


def password_users_csv(client: GraphClient, domains: Iterable[str]) -> str:
    return csv_text(["userPrincipalName", "accountEnabled"], password_users(client, domains))
