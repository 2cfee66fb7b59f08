"""The result widget: a clickable link, a copy button and a countdown that ticks in the browser.

The countdown runs in JavaScript against the absolute effective expiry, so no kernel
message is sent per tick and it stays right while the kernel is busy. Its mimebundle
also carries static HTML and text, for places where widgets don't run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..signing.result import PresignedURL, SignedCookies
from .facts import result_facts
from .render import result_html, result_text

_HERE = Path(__file__).parent


class PresignResultWidget(anywidget.AnyWidget):
    """Shows one presigned URL (or set of signed cookies) with its live countdown."""

    _esm = _HERE / "result_widget.js"
    _css = _HERE / "result_widget.css"
    facts = traitlets.Dict().tag(sync=True)
    compact = traitlets.Bool(False).tag(sync=True)  # one line, for %presign_history

    @classmethod
    def for_result(cls, result: PresignedURL | SignedCookies, *, compact: bool = False) -> PresignResultWidget:
        return cls(facts=result_facts(result), compact=compact)

    def _repr_mimebundle_(self, **kwargs: Any):
        data, metadata = super()._repr_mimebundle_(**kwargs)
        data["text/html"] = result_html(self.facts)
        data["text/plain"] = result_text(self.facts)
        return data, metadata
