"""Static renderings of a signed result: HTML (every string escaped) and plain text.

They are what shows where widgets cannot run: nbconvert HTML, GitHub, a terminal
IPython. They carry the link and the absolute expiry, which stay true when nothing
ticks.
"""

from __future__ import annotations

from html import escape

from msc_notebook import utcnow

from .._facts import ResultFacts


def _validity(facts: ResultFacts, *, capital: bool = False) -> str:
    """'valid until X' or, when it has passed by the time this is rendered, 'expired at X'."""
    words = "expired at" if facts.effective_expiry_ms <= utcnow().timestamp() * 1000 else "valid until"
    if capital:
        words = words[0].upper() + words[1:]
    return f"{words} {facts.effective_expiry_utc}"


def _what(facts: ResultFacts) -> str:
    kinds = {"cookies": "signed cookies for", "share": "share of", "post": "upload policy for",
             "multipart": "multipart upload to"}  # fmt: skip
    return kinds.get(facts.kind, facts.method)


def _contents(facts: ResultFacts) -> str:
    """A share's size: '1,024 objects, 3.2 MiB'."""
    return f"{facts.object_count:,} object{'s' if facts.object_count != 1 else ''}, {facts.total_size_text}"


def _code(text: str) -> str:
    return f'<pre class="msc-presign-code">{escape(text)}</pre>'


def _upload_rows(facts: ResultFacts) -> list[str]:
    """What an uploader needs: a multipart upload's plan and scripts, a policy's limits and form, commands."""
    rows: list[str] = []
    url = facts.url
    if facts.upload_plan:
        rows.append(f"<div>Multipart upload: {escape(facts.upload_plan)}.</div>")
        rows.append(f'<div class="msc-presign-warning">{escape(facts.aborted or facts.unfinished_note or "")}</div>')
        for label, script in (("The uploader runs (sh, with curl):", facts.shell_script),
                              ("Or in Python (requests):", facts.python_script)):  # fmt: skip
            if script:
                rows.append(f"<div>{label}</div>" + _code(script))
        rows.append(f"<div>{escape(facts.script_note or '')} Abort it with:</div>" + _code(facts.abort_command or ""))
    if facts.upload_limits:
        rows.append(f"<div>Upload policy: {escape(facts.upload_limits)}. POST the form to:</div>" + _code(url))
    if facts.drop_box_note:
        rows.append(f'<div class="msc-presign-warning">{escape(facts.drop_box_note)}</div>')
    if facts.curl:
        rows.append("<div>Upload with:</div>" + _code(facts.curl))
    if facts.block_upload_script:
        rows.append("<div>A large file, in blocks (Python, requests):</div>" + _code(facts.block_upload_script))
    if facts.html_form:
        rows.append("<div>Or a page the uploader saves as upload.html and opens:</div>" + _code(facts.html_form))
    if facts.requests_snippet:
        rows.append("<div>Or in Python:</div>" + _code(facts.requests_snippet))
    return rows


def result_html(facts: ResultFacts) -> str:
    """A self-contained HTML block for one result."""
    url = facts.url
    link = (
        f'<a href="{escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{escape(facts.source)}</a>'
        if facts.clickable
        else f"<code>{escape(facts.source)}</code>"
    )
    what = escape(_what(facts))
    rows = [
        f"<div><strong>{what}</strong> {link} <small>({escape(facts.signer_type)} signer)</small></div>",
        f"<div><strong>{escape(_validity(facts, capital=True))}</strong>"
        + (f" (requested {escape(facts.expires_in_text)})" if not facts.limited_by_credentials else "")
        + "</div>",
    ]
    if facts.warning:
        rows.append(f'<div class="msc-presign-warning">⚠ {escape(facts.warning)}</div>')
    if facts.not_before_utc:
        rows.append(f"<div>Not valid before {escape(facts.not_before_utc)}</div>")
    if facts.ip_range:
        rows.append(f"<div>Only from {escape(facts.ip_range)}</div>")
    if facts.kind == "share":
        rows.append(f"<div>{escape(_contents(facts))}. {escape(facts.snapshot_note or '')}</div>")
    if facts.kind in ("url", "share"):
        rows.append(_code(url))
    rows += _upload_rows(facts)
    if facts.query:
        rows.append(
            f"<div>Covers everything under <code>{escape(facts.wildcard_base or '')}</code>: "
            f"append this to each object URL:</div>" + _code("?" + facts.query)
        )
    if facts.cookie_header:
        rows.append("<div>Cookies (send to the distribution's domain):</div>" + _code(facts.cookie_header))
    if facts.zarr_snippet:
        rows.append("<div>The recipient opens the dataset with:</div>" + _code(facts.zarr_snippet))
    for name, text in (facts.recipes or {}).items():
        rows.append(f"<div>Or with {escape(name)}:</div>" + _code(text))
    if facts.manifest_location:
        rows.append(
            f"<div>Manifest: <code>{escape(facts.manifest_location)}</code>. {escape(facts.url_list_note or '')}</div>"
        )
    if facts.revoked:
        rows.append(f'<div class="msc-presign-warning">Revoked: {escape(facts.revoked)}</div>')
    elif facts.revoke_note:
        rows.append(f"<div>{escape(facts.revoke_note)}</div>")
    return f'<div class="msc-presign-static">{"".join(rows)}</div>'


def result_text(facts: ResultFacts) -> str:
    """Plain text for terminals and logs."""
    lines = [f"{_what(facts)} {facts.source} ({facts.signer_type} signer), {_validity(facts)}"]
    if facts.warning:
        lines.append(f"warning: {facts.warning}")
    if facts.upload_limits:
        lines.append(f"upload policy: {facts.upload_limits}; POST to {facts.url}")
    if facts.kind == "share":
        lines.append(f"{_contents(facts)}, manifest {facts.manifest_location}. {facts.snapshot_note}")
    if facts.kind in ("url", "share"):
        lines.append(facts.url)
    if facts.upload_plan:
        lines.append(f"{facts.upload_plan}; {facts.aborted or facts.unfinished_note}")
    if facts.curl:
        lines.append(f"upload: {facts.curl}")
    if facts.cookie_header:
        lines.append(f"Cookie: {facts.cookie_header}")
    if facts.revoked:
        lines.append(f"revoked: {facts.revoked}")
    elif facts.revoke_note:
        lines.append(facts.revoke_note)
    return "\n".join(lines)
