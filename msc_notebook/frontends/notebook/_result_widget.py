"""The result widget: a clickable link, a copy button and a countdown that ticks in the browser.

The countdown runs in JavaScript against the absolute effective expiry, so no kernel
message is sent per tick and it stays right while the kernel is busy. Once the link
runs out (or its credentials cut it short), **Sign again** asks the kernel to sign the
same request and the widget shows the new result in place. Its mimebundle also carries
static HTML and text, for places where widgets don't run (no button there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from msc_notebook import PrefixShare, PresignedURL, PresignError, PresignRequest, SignedCookies

from .._facts import ResultFacts, result_facts
from ._history import history
from ._render import result_html, result_text

_HERE = Path(__file__).parent


class PresignResultWidget(anywidget.AnyWidget):
    """Shows one presigned URL (or set of signed cookies, or prefix share) with its live countdown."""

    _esm = _HERE / "result_widget.js"
    _css = _HERE / "result_widget.css"
    facts = traitlets.Dict().tag(sync=True)  # ResultFacts.state()
    compact = traitlets.Bool(False).tag(sync=True)  # one line, for %presign_history
    can_sign_again = traitlets.Bool(False).tag(sync=True)  # it knows the request that made it
    sign_again_error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, request: PresignRequest | None = None, **kwargs: Any) -> None:
        super().__init__(can_sign_again=request is not None, **kwargs)
        self._request = request  # kernel side only: the browser never sees options such as key paths
        self.on_msg(self._message)

    @classmethod
    def for_result(
        cls,
        result: PresignedURL | SignedCookies | PrefixShare,
        *,
        request: PresignRequest | None = None,
        compact: bool = False,
    ) -> PresignResultWidget:
        return cls.for_facts(result_facts(result), request=request, compact=compact)

    @classmethod
    def for_facts(
        cls, facts: ResultFacts, *, request: PresignRequest | None = None, compact: bool = False
    ) -> PresignResultWidget:
        return cls(facts=facts.state(), compact=compact, request=request)

    def sign_again(self) -> PresignedURL | SignedCookies | PrefixShare | None:
        """Sign the same request again and show the new result here (history keeps both)."""
        if self._request is None:
            return None
        try:
            result = self._request.sign()
        except PresignError as exc:
            self.sign_again_error = str(exc)
            return None
        history.add(result)
        self.sign_again_error = ""
        self.facts = result_facts(result).state()
        return result

    def _message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "sign-again":
            self.sign_again()

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:  # anywidget's: a widget without a view has no bundle
            return None
        data, metadata = bundle
        facts = ResultFacts(**self.facts)
        data["text/html"] = result_html(facts)
        data["text/plain"] = result_text(facts)
        return data, metadata
