"""What an uploader runs with an upload policy, beside its curl command: an HTML form they can
save and open in a browser, and a Python ``requests`` snippet. Both send every field of the
policy before the file, as the storage requires; every value is escaped for its medium."""

from __future__ import annotations

import json
from html import escape

from msc_notebook import PresignedPost

DROP_BOX_NOTE = (
    "A drop box: each uploader names the file, and an upload replaces an earlier one of the same name "
    "(an upload policy has no create-only condition); name files apart, e.g. with your name or a date."
)


def file_name_of(key: str) -> str:
    """The file an upload snippet sends: the key's last part (FILE if it has none)."""
    return key.rstrip("/").rsplit("/", 1)[-1] or "FILE"


def upload_file_name(post: PresignedPost) -> str:
    """The file name a policy's snippets use: the key's last part, or FILE for a drop box."""
    return "FILE" if post.drop_box else file_name_of(post.key)


def html_form_snippet(post: PresignedPost) -> str:
    """A page that uploads one file through the policy: save it as upload.html and open it."""
    hidden = "".join(
        f'    <input type="hidden" name="{escape(name, quote=True)}" value="{escape(value, quote=True)}">\n'
        for name, value in post.fields.items()
    )
    what = f"into {post.key_prefix}" if post.drop_box else f"as {post.key}"
    return (
        "<!doctype html>\n<meta charset=\"utf-8\">\n"
        f"<title>{escape(f'Upload {what}')}</title>\n"
        f"<p>Upload one file {escape(what)}: {escape(post.limits_text)}.</p>\n"
        f'<form action="{escape(post.url, quote=True)}" method="post" enctype="multipart/form-data">\n'
        f"{hidden}"
        '    <input type="file" name="file" required>  <!-- the file last: fields after it are ignored -->\n'
        "    <button type=\"submit\">Upload</button>\n"
        "</form>\n"
    )


def requests_snippet(post: PresignedPost, path: str | None = None) -> str:
    """Python that uploads the file at ``path`` through the policy, with requests alone."""
    path = path or upload_file_name(post)
    fields = "".join(f"    {json.dumps(name)}: {json.dumps(value)},\n" for name, value in post.fields.items())
    return (
        "import os\n\nimport requests  # needs requests\n\n"
        f"path = {json.dumps(path)}\n"
        f"fields = {{\n{fields}}}\n"
        "with open(path, \"rb\") as file:\n"
        f"    answer = requests.post({json.dumps(post.url)}, data=fields,\n"
        "                           files={\"file\": (os.path.basename(path), file)}, timeout=3600)\n"
        "print(answer.status_code, answer.text[:500])\n"
        "answer.raise_for_status()  # 204: uploaded"
    )
