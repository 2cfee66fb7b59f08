"""The presign form: an ipywidgets panel for people who would rather click than type.

It builds the same `PresignRequest` as %presign (so both accept and refuse the same
things), shows the same result widget (newest on top, earlier ones kept), and records
every URL in %presign_history. Errors appear in plain words next to the field at
fault (PresignError.field says which); no exception escapes a click.

Layout: one column of labels, one of inputs; the path field takes the row's width;
Enter in any text field signs.
"""

from __future__ import annotations

import re
import warnings
from html import escape, unescape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from msc_notebook import (
    CLOUDFRONT_OPTION_HELP,
    PresignError,
    PresignRequest,
    ProfileSummary,
    StorageURL,
    describe_size,
    parse_storage_url,
    storage_client,
    summarize_profile,
    summarize_profiles,
)

if TYPE_CHECKING:
    from msc_notebook import SignedResult

from .._profiles_table import time_left
from ._history import history
from ._result_widget import PresignResultWidget

EXPIRY_PRESETS = [("15 min", 900), ("1 hour", 3600), ("1 day", 86400), ("7 days", 604800), ("custom…", None)]
LABEL_WIDTH = "110px"
_FIELDS = ("profile", "path", "method", "expires_in", "signer_type", *CLOUDFRONT_OPTION_HELP,
           "content_type", "max_size", "download_as", "general")  # fmt: skip
# Error fields that belong to another input's slot.
_SLOT_OF = {"content_disposition": "download_as", "url": "path", "min_size": "max_size"}


def _label_text(option: str) -> str:
    """``key_pair_id`` -> ``Key pair id``; ``ip_range`` -> ``IP range``."""
    return re.sub(r"^Ip\b", "IP", option.replace("_", " ").capitalize())


_GROW = {"width": "auto", "flex": "1 1 auto"}  # a field that takes the rest of its row


class _Parts:
    """Makes the form's fields, error slots and rows. What never changes shares one Layout
    model (label column, input column, a field that takes the rest of its row): the browser
    makes a model per widget, and sharing cuts the form from 261 models to about 190."""

    def __init__(self) -> None:
        self.label = widgets.Layout(width=LABEL_WIDTH, flex=f"0 0 {LABEL_WIDTH}")
        self.inputs = widgets.Layout(flex="1 1 auto", align_items="center", min_width="0")
        self.column = widgets.Layout(flex="1 1 auto", min_width="0")
        self.grow = widgets.Layout(**_GROW)
        self.error = widgets.Layout()

    def text(self, placeholder: str, css: str, *, hideable: bool = False) -> widgets.Text:
        """A text field that takes the rest of its row; ``hideable`` ones get their own Layout."""
        layout = widgets.Layout(**_GROW) if hideable else self.grow
        field = widgets.Text(placeholder=placeholder, layout=layout)
        field.add_class(css)
        return field

    def error_slot(self, name: str) -> widgets.HTML:
        slot = widgets.HTML(layout=self.error)
        slot.add_class("msc-form-error")
        slot.add_class(f"msc-form-error-{name.replace('_', '-')}")
        return slot

    def row(self, label: str, *controls: widgets.Widget, error: widgets.HTML | None = None) -> widgets.HBox:
        """One form row: the label in the label column, the controls (and the error) beside it.
        The row has its own Layout: rows are shown and hidden."""
        title = widgets.Label(label, layout=self.label)
        title.add_class("msc-form-label")
        inputs = widgets.HBox(list(controls), layout=self.inputs)
        inputs.add_class("msc-form-inputs")
        column = widgets.VBox([inputs, *([error] if error else [])], layout=self.column)
        row = widgets.HBox([title, column], layout=widgets.Layout(width="100%", align_items="flex-start"))
        row.add_class("msc-form-row")
        return row


def _show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = "flex" if visible else "none"


class PresignForm(widgets.VBox):
    """``PresignForm()`` in code or ``%presign_form``: pick a profile and an object, sign, share."""

    page_size = 100  # entries per Browse page (ListObjectsV2 MaxKeys)

    def __init__(self, **kwargs: Any) -> None:
        self.last_result: SignedResult | None = None
        self._summary: ProfileSummary | None = None
        self._next_token: str | None = None
        self._summaries = self._offered_profiles()
        self._parts = _Parts()
        self._build_fields()
        super().__init__(
            self._layout(), layout=widgets.Layout(width="100%", max_width="760px", min_width="0"), **kwargs
        )
        self.add_class("msc-presign-form")
        self._wire()
        if not self.profile.options:
            self.errors["profile"].value = _error(
                "no profile in the MSC config can presign; add an s3, s8k, gcs_s3 or ais_s3 profile"
            )
            self.sign_button.disabled = self.browse_button.disabled = True
        self._profile_changed()

    # -- building ---------------------------------------------------------------------------

    def _build_fields(self) -> None:
        parts = self._parts
        offered = [s for s in self._summaries if s.presign_supported]
        self.profile = widgets.Dropdown(
            options=[(f"{s.name} ({s.provider_type})", s.name) for s in offered], layout=parts.grow
        )
        self.profile.add_class("msc-form-profile")
        self.credentials_note = widgets.HTML()
        self.credentials_note.add_class("msc-form-credentials")
        self.path = parts.text("datasets/model.bin, or msc://profile/path", "msc-form-path")
        self.browse_button = widgets.Button(
            description="Browse", tooltip="List what is under the typed prefix", layout=widgets.Layout(flex="0 0 auto", width="auto")
        )
        self.browse_button.add_class("msc-form-browse")
        self.listing = widgets.Select(options=[], rows=8, layout=parts.grow)
        self.listing.add_class("msc-form-listing")
        self.more_button = widgets.Button(description="More…")
        self.more_button.add_class("msc-form-more")
        self.method = widgets.ToggleButtons(options=["GET", "PUT", "HEAD", "POST"], style={"button_width": "auto"},
                                            tooltips=["read", "upload one object", "read its headers",
                                                      "an upload policy: size limits, or a drop box with /*"])  # fmt: skip
        self.method.add_class("msc-form-method")
        self.expiry = widgets.Dropdown(options=EXPIRY_PRESETS, value=3600, layout=widgets.Layout(width="140px"))
        self.expiry.add_class("msc-form-expiry")
        self.custom_expiry = parts.text("e.g. 90m, 2h, 3d", "msc-form-custom-expiry", hideable=True)
        self.custom_expiry.layout.display = "none"
        self.signer = widgets.ToggleButtons(options=[("S3", "s3")], style={"button_width": "auto"})
        self.signer.add_class("msc-form-signer")
        self.cloudfront = {
            name: parts.text(help_text, f"msc-form-{name.replace('_', '-')}") for name, help_text in CLOUDFRONT_OPTION_HELP.items()
        }
        self.content_type = parts.text("the uploader must send exactly this", "msc-form-content-type")
        self.download_as = parts.text("file name the browser saves (optional)", "msc-form-download-as")
        self.max_size = parts.text("e.g. 100MB, 2GiB (default: the storage's limit)", "msc-form-max-size")
        self.sign_button = widgets.Button(description="Sign", button_style="primary", icon="link")
        self.sign_button.add_class("msc-form-sign")
        self.results = widgets.VBox()
        self.results.add_class("msc-form-results")
        self.errors = {name: parts.error_slot(name) for name in _FIELDS}

    def _layout(self) -> list[widgets.Widget]:
        refused = [s for s in self._summaries if not s.presign_supported]
        refused_note = widgets.HTML(
            "<small>Not offered: "
            + "; ".join(f"{escape(s.name)} ({escape(s.provider_type)}): presigning is not implemented for "
                        f"{escape(s.provider_type)} storage" for s in refused)  # fmt: skip
            + "</small>"
            if refused
            else ""
        )
        errors, row = self.errors, self._parts.row
        self.cloudfront_box = widgets.VBox(
            [row(_label_text(name), field, error=errors[name]) for name, field in self.cloudfront.items()],
            layout=widgets.Layout(display="none", width="100%"),
        )
        self.cloudfront_box.add_class("msc-form-cloudfront")
        self.put_box = row("Content-Type", self.content_type, error=errors["content_type"])
        self.put_box.layout.display = "none"
        self.get_box = row("Download as", self.download_as, error=errors["download_as"])
        self.post_box = row("Max size", self.max_size, error=errors["max_size"])
        self.post_box.layout.display = "none"
        # Hidden rows take no room: the listing and More… appear only after Browse.
        self.listing_row, self.more_row = row("", self.listing), row("", self.more_button)
        self.listing_row.layout.display = self.more_row.layout.display = "none"
        return [
            row("Profile", self.profile, error=errors["profile"]),
            row("", self.credentials_note),
            refused_note,
            row("Object", self.path, self.browse_button, error=errors["path"]),
            self.listing_row,
            self.more_row,
            row("Method", self.method, error=errors["method"]),
            row("Expires in", self.expiry, self.custom_expiry, error=errors["expires_in"]),
            row("Signer", self.signer, error=errors["signer_type"]),
            self.cloudfront_box,
            self.put_box,
            self.post_box,
            self.get_box,
            row("", self.sign_button, error=errors["general"]),
            self.results,
        ]

    def _wire(self) -> None:
        self.profile.observe(lambda _: self._profile_changed(), "value")
        self.signer.observe(lambda _: self._signer_changed(), "value")
        self.method.observe(lambda _: self._update_visibility(), "value")
        self.expiry.observe(lambda _: self._update_visibility(), "value")
        self.listing.observe(self._picked, "value")
        self.browse_button.on_click(lambda _: self.browse())
        self.more_button.on_click(lambda _: self.browse(more=True))
        self.sign_button.on_click(lambda _: self.sign())
        with warnings.catch_warnings():
            # ipywidgets 8 deprecates on_submit, but it is the only event that means "Enter":
            # the suggested continuous_update=False also fires on blur (e.g. clicking Browse).
            warnings.simplefilter("ignore", DeprecationWarning)
            for field in (self.path, self.custom_expiry, *self.cloudfront.values(), self.content_type, self.download_as,
                          self.max_size):
                field.on_submit(lambda _: self.sign())

    # -- reading the config ---------------------------------------------------------------

    @staticmethod
    def _offered_profiles() -> list[ProfileSummary]:
        try:
            return summarize_profiles(resolve_credentials=False)[1]
        except PresignError as exc:
            raise PresignError(f"the presign form needs an MSC config: {exc}") from None

    def _profile_changed(self) -> None:
        self._clear_errors()
        self._hide_listing()
        name = self.profile.value
        if name is None:
            return
        self._summary = summary = summarize_profile(name)
        labels = {"s3": "S3", "cloudfront": "CloudFront", "azure": "Azure SAS"}
        self.signer.options = [(labels.get(t, t), t) for t in summary.signer_types]
        if summary.problem:
            self.errors["profile"].value = _error(summary.problem)
        presign = self._presign_defaults(name)
        for option, field in self.cloudfront.items():
            field.value = str((presign.get("cloudfront") or {}).get(option) or "")
        if presign.get("signer_type") == "cloudfront" and "cloudfront" in summary.signer_types:
            self.signer.value = "cloudfront"
        self._signer_changed()

    @staticmethod
    def _presign_defaults(profile: str) -> dict[str, Any]:
        try:  # the cached client's config: the summary above has just built it
            return dict(storage_client(profile).config.presign)
        except PresignError:
            return {}

    def _signer_changed(self) -> None:
        """What limits the URL: the S3 credentials' lifetime, or (CloudFront) only expires_in."""
        summary = self._summary
        if self.signer.value == "cloudfront":
            note = "Signed with the CloudFront key pair, which does not expire: the URL lives as long as you ask."
        elif summary is None or summary.problem:
            note = ""
        else:
            note = (
                f"Credentials: {escape(summary.credentials_source or 'unknown')}; "
                f"left: <b>{escape(time_left(summary) or 'not known')}</b> (no URL outlives them)"
            )
        self.credentials_note.value = f"<small>{note}</small>" if note else ""
        self._update_visibility()

    def _update_visibility(self) -> None:
        cloudfront = self.signer.value == "cloudfront"
        _show(self.cloudfront_box, cloudfront)
        _show(self.put_box, self.method.value in ("PUT", "POST"))
        _show(self.post_box, self.method.value == "POST")
        _show(self.get_box, self.method.value == "GET" and not cloudfront)
        _show(self.custom_expiry, self.expiry.value is None)

    # -- browsing -------------------------------------------------------------------------

    def browse(self, *, more: bool = False) -> None:
        """List what is under the typed prefix (one page; More… fetches the next)."""
        self._clear_errors()
        try:
            target = self._target(allow_empty=True)
            page = storage_client(target).list_page(
                target.path, page_size=self.page_size, token=self._next_token if more else None
            )
        except PresignError as exc:
            self._show_error(exc)
            return
        if not page.entries and not more:
            self._hide_listing()
            where = target.path or "the top level"
            self.errors["path"].value = _error(f"nothing found under {where!r} in profile {target.profile!r}")
            return
        self._next_token = page.next_token
        options = list(self.listing.options) if more else []
        options += [(_entry_label(e.key, e.type == "directory", e.content_length), e.key) for e in page.entries]
        self.listing.unobserve(self._picked, "value")
        self.listing.options = options
        self.listing.value = None
        self.listing.observe(self._picked, "value")
        _show(self.listing_row, True)
        _show(self.more_row, page.next_token is not None)

    def _picked(self, change: dict[str, Any]) -> None:
        if change["new"] is None:
            return
        self.path.value = change["new"]
        if change["new"].endswith("/"):
            self.browse()  # a folder: go in

    def _hide_listing(self) -> None:
        self._next_token = None
        _show(self.listing_row, False)
        _show(self.more_row, False)

    # -- signing --------------------------------------------------------------------------

    def sign(self) -> SignedResult | None:
        """Sign what the form says; show the result on top (earlier ones stay) or the error inline."""
        self._clear_errors()
        try:
            request = self.request()
            result = request.sign()
        except PresignError as exc:
            self._show_error(exc)
            return None
        history.add(result)
        self.last_result = result
        self.results.children = (PresignResultWidget.for_result(result, request=request), *self.results.children)
        return result

    def request(self) -> PresignRequest:
        """The request the visible fields describe (what Sign signs)."""
        cloudfront = self.signer.value == "cloudfront"
        return PresignRequest.from_inputs(
            self._target(),
            method=self.method.value,
            expires_in=self.expiry.value if self.expiry.value is not None else self.custom_expiry.value,
            signer=self.signer.value,
            content_type=self.content_type.value if self.method.value in ("PUT", "POST") else None,
            max_size=self.max_size.value if self.method.value == "POST" else None,
            download_as=self.download_as.value if self.method.value == "GET" and not cloudfront else None,
            cloudfront={name: field.value for name, field in self.cloudfront.items()} if cloudfront else None,
        )

    def _target(self, *, allow_empty: bool = False) -> StorageURL:
        """The object the fields name; a full msc:// URL typed in the path picks its profile."""
        text = self.path.value.strip()
        if text.lower().startswith("msc://"):
            target = parse_storage_url(text)
            if target.profile not in {s.name for s in self._summaries if s.presign_supported}:
                raise PresignError(f"profile {target.profile!r} is not one this form can sign for", field="path")
            self.profile.value = target.profile
            self.path.value = target.path
            return target
        if not text and not allow_empty:
            raise PresignError("type the object's path, e.g. datasets/model.bin, or Browse to pick one", field="path")
        if self.profile.value is None:
            raise PresignError("pick a profile", field="profile")
        return StorageURL("msc", self.profile.value, text)

    # -- errors -----------------------------------------------------------------------------

    def _show_error(self, exc: PresignError) -> None:
        slot = _SLOT_OF.get(exc.field or "", exc.field or "general")
        (self.errors.get(slot) or self.errors["general"]).value = _error(str(exc))

    def _clear_errors(self) -> None:
        for slot in self.errors.values():
            slot.value = ""

    @property
    def error_messages(self) -> dict[str, str]:
        """The errors shown now, by field (for tests and for programmatic use)."""
        return {name: _plain(slot.value) for name, slot in self.errors.items() if slot.value}


def _error(message: str) -> str:
    return f'<span style="color: var(--jp-error-color1, #b71c1c)">⚠ {escape(message)}</span>'


def _plain(html_text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html_text)).removeprefix("⚠ ")


def _entry_label(path: str, is_prefix: bool, size: int | None) -> str:
    name = path.rstrip("/").rsplit("/", 1)[-1] + ("/" if is_prefix else "")
    if is_prefix or size is None:
        return f"📁 {name}"
    return f"{name}  ({describe_size(size)})"
