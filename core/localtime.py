"""Times for people: the journal and Graph record UTC (ISO 8601, ``...Z``); a person reads their
own local time, with UTC at hand for a ticket or Microsoft support. One place, so every face and
page shows a time the same way."""

from __future__ import annotations

import datetime as dt


def parse_utc(stamp: str | dt.datetime | None) -> dt.datetime | None:
    """An ISO 8601 time (``2026-12-06T01:02:03Z``, with or without a zone; none means UTC) as
    an aware datetime; None when empty or unreadable (text from a file is data)."""
    if stamp is None or stamp == "":
        return None
    if isinstance(stamp, dt.datetime):
        when = stamp
    else:
        try:
            when = dt.datetime.fromisoformat(str(stamp).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def local_and_utc(stamp: str | dt.datetime | None,
                  tz: dt.tzinfo | None = None) -> tuple[str, str]:
    """(local time ``YYYY-MM-DD HH:MM:SS``, the same instant in UTC ``... UTC``); an unreadable
    stamp is returned as it is, twice (never hidden)."""
    when = parse_utc(stamp)
    if when is None:
        text = "" if stamp is None else str(stamp)
        return text, text
    local = when.astimezone(tz) if tz is not None else when.astimezone()
    return (local.strftime("%Y-%m-%d %H:%M:%S"),
            when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
