"""The result widget: a clickable link, a copy button and a countdown that ticks in the browser.

The countdown runs in JavaScript against the absolute effective expiry, so no kernel
message is sent per tick and it stays right while the kernel is busy. Once the link
runs out (or its credentials cut it short), **Sign again** asks the kernel to sign the
same request and the widget shows the new result in place. **Check** fetches the result
as an anonymous recipient would (from the kernel) and shows what it found; **Revoke**
(a share with a manifest) takes the share back from its facts alone, and **Abort** ends an
unfinished multipart upload, so the history's widgets offer both too. Its mimebundle also carries static HTML and text, for places where
widgets don't run (no button there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from msc_notebook import PresignError, PresignRequest, abort_upload, revoke

if TYPE_CHECKING:
    from msc_notebook import SignedResult

from .._arguments import check_result
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
    can_check = traitlets.Bool(False).tag(sync=True)  # it holds the result that made it
    check_result = traitlets.Dict().tag(sync=True)  # {"works": bool, "text": str} once checked
    revoke_error = traitlets.Unicode("").tag(sync=True)
    abort_error = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        *,
        request: PresignRequest | None = None,
        result: SignedResult | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(can_sign_again=request is not None, can_check=hasattr(result, "check"), **kwargs)
        self._request = request  # kernel side only: the browser never sees options such as key paths
        self._result = result
        # What Revoke and Abort act on: the kernel's own copy (the synced trait is the browser's to change).
        self._facts = ResultFacts(**self.facts)
        self.on_msg(self._message)

    @classmethod
    def for_result(
        cls,
        result: SignedResult,
        *,
        request: PresignRequest | None = None,
        compact: bool = False,
    ) -> PresignResultWidget:
        return cls(facts=result_facts(result).state(), compact=compact, request=request, result=result)

    @classmethod
    def for_facts(
        cls, facts: ResultFacts, *, request: PresignRequest | None = None, compact: bool = False
    ) -> PresignResultWidget:
        return cls(facts=facts.state(), compact=compact, request=request)

    def _show(self, facts: ResultFacts) -> None:
        self._facts = facts
        self.facts = facts.state()

    def _say(self, trait: str, value: Any) -> None:
        """Set ``trait`` so the browser redraws even when the value is the one it had (an answer to a click)."""
        setattr(self, trait, {} if isinstance(value, dict) else "")
        setattr(self, trait, value)

    def sign_again(self) -> SignedResult | None:
        """Sign the same request again and show the new result here (history keeps both)."""
        if self._request is None:
            return None
        try:
            result = self._request.sign()
        except PresignError as exc:
            self._say("sign_again_error", str(exc))
            return None
        history.add(result)
        self.sign_again_error = ""
        self._result = result
        self.check_result = {}
        self._show(result_facts(result))
        return result

    def check(self) -> bool | None:
        """Fetch the result as an anonymous recipient would and show what was found; whether it works."""
        if self._result is None:
            return None
        try:
            works, text = check_result(self._result)
        except PresignError as exc:
            works, text = False, f"check: {exc}"
        self._say("check_result", {"works": works, "text": text})
        return works

    def revoke(self) -> str | None:
        """Take the share back (from its facts: its manifest and access policy) and show what that did."""
        return self._end("manifest_location", "revoked", "revoke_error",
                         lambda location, facts: revoke(location, access_policy=facts.access_policy))  # fmt: skip

    def abort(self) -> str | None:
        """Abort the multipart upload (through its presigned DELETE, from its facts) and show what that did."""
        return self._end("abort_url", "aborted", "abort_error", lambda url, facts: abort_upload(url, facts.source))

    def _end(self, target: str, done: str, error: str, act: Callable[[str, ResultFacts], str]) -> str | None:
        """Revoke or Abort: ``act`` on the facts' ``target`` (a manifest, an abort URL), unless it has
        none or is already ``done``; record what that did, here and in the history, or show why not."""
        facts = self._facts
        value: str | None = getattr(facts, target)
        if value is None or getattr(facts, done):
            return None
        try:
            text = act(value, facts)
        except PresignError as exc:
            self._say(error, str(exc))
            return None
        setattr(self, error, "")
        change: dict[str, Any] = {done: text}
        history.record(target, value, **change)
        self._show(replace(facts, **change))
        return text

    _ACTIONS = {"sign-again": ("sign_again", "sign_again_error"), "check": ("check", "check_result"),
                "revoke": ("revoke", "revoke_error"), "abort": ("abort", "abort_error")}  # fmt: skip

    def _message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        event = content.get("event") if isinstance(content, dict) else None
        if event not in self._ACTIONS:
            return
        action, error = self._ACTIONS[event]
        try:
            getattr(self, action)()
        except Exception as exc:  # noqa: BLE001  # the button waits for an answer: always give one
            message = f"{type(exc).__name__}: {exc}"
            self._say(error, {"works": False, "text": f"check: {message}"} if error == "check_result" else message)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:  # anywidget's: a widget without a view has no bundle
            return None
        data, metadata = bundle
        facts = ResultFacts(**self.facts)
        data["text/html"] = result_html(facts)
        data["text/plain"] = result_text(facts)
        return data, metadata
