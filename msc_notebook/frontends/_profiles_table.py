"""The %presign_profiles table, as escaped HTML and as text."""

from __future__ import annotations

from html import escape
from pathlib import Path

from msc_notebook import ProfileSummary, describe_duration, utc_text


def time_left(summary: ProfileSummary) -> str:
    """How long the profile's credentials have left, in words."""
    left, expiry = summary.credentials_left(), summary.credential_expiry
    if left is None or expiry is None:  # both or neither
        return "does not expire" if summary.credentials_source else ""
    when = utc_text(expiry)
    return f"expired at {when}" if left <= 0 else f"{describe_duration(left)} (until {when})"


def _rows(summaries: list[ProfileSummary]) -> list[list[str]]:
    rows = []
    for s in summaries:
        where = s.location + (f" @ {s.endpoint}" if s.endpoint else "")
        can = "yes: " + ", ".join(s.signer_types) if s.presign_supported and not s.problem else "no"
        rows.append([s.name, s.provider_type, where, can, s.credentials_source or "", time_left(s), s.problem or ""])
    return rows


HEADERS = ["profile", "provider", "bucket / endpoint", "presign", "credentials from", "credentials left", "problem"]


def profiles_html(path: Path, summaries: list[ProfileSummary]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in HEADERS)
    body = "".join(
        "<tr>" + "".join(f'<td style="text-align:left">{escape(cell)}</td>' for cell in row) + "</tr>"
        for row in _rows(summaries)
    )
    return (
        f'<div class="msc-presign-profiles"><div>Profiles in <code>{escape(str(path))}</code></div>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def profiles_text(path: Path, summaries: list[ProfileSummary]) -> str:
    rows = [HEADERS, *_rows(summaries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = [f"Profiles in {path}"]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)
