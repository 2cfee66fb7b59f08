"""The presign form: an ipywidgets panel for people who would rather click than type.

It drives the same signer library as %presign, shows the same result widget (newest
on top, earlier ones kept), and records every URL in %presign_history. Errors appear
in plain words next to the field at fault (PresignError.field says which).
"""

from __future__ import annotations

import warnings
from html import escape
from typing import Any

import ipywidgets as widgets

from ..signing.browse import ListingPage, list_objects
from ..signing.client import sign_url, storage_client_for
from ..signing.config import StorageClientConfig
from ..signing.errors import PresignError, SignerOptionError
from ..signing.options import attachment_disposition
from ..signing.profiles import ProfileSummary, summarize_profile, summarize_profiles
from ..signing.result import PresignedURL
from ..signing.storage_url import parse_storage_url
from .durations import parse_duration
from .history import history
from .profiles_table import time_left
from .result_widget import PresignResultWidget

EXPIRY_PRESETS = [("15 min", 900), ("1 hour", 3600), ("1 day", 86400), ("7 days", 604800), ("custom…", None)]
CLOUDFRONT_FIELDS = {  # signer option -> label
    "key_pair_id": "Key pair id",
    "private_key_path": "Private key",
    "domain": "Domain",
    "origin_path": "Origin path",
}
_FULL = widgets.Layout(width="auto")  # stretches to the form's width (100% would add the margins)
_LABELLED = {"description_width": "110px"}


def _text(label: str, placeholder: str = "", css: str = "") -> widgets.Text:
    field = widgets.Text(description=label, placeholder=placeholder, layout=_FULL, style=_LABELLED)
    if css:
        field.add_class(css)
    return field


def _error_slot(css: str) -> widgets.HTML:
    slot = widgets.HTML(layout=widgets.Layout(margin="0 0 0 114px"))
    slot.add_class("msc-form-error")
    slot.add_class(css)
    return slot


class PresignForm(widgets.VBox):
    """``PresignForm()`` in code or ``%presign_form``: pick a profile and an object, sign, share."""

    page_size = 100  # entries per Browse page (ListObjectsV2 MaxKeys)

    def __init__(self, **kwargs: Any) -> None:
        self.last_result: PresignedURL | None = None
        self._listing: ListingPage | None = None
        self._summary: ProfileSummary | None = None
        self._summaries = self._offered_profiles()
        offered = [s for s in self._summaries if s.presign_supported]
        refused = [s for s in self._summaries if not s.presign_supported]

        self.profile = widgets.Dropdown(
            description="Profile",
            options=[(f"{s.name} ({s.provider_type})", s.name) for s in offered],
            layout=_FULL,
            style=_LABELLED,
        )
        self.profile.add_class("msc-form-profile")
        self.credentials_note = widgets.HTML()
        self.credentials_note.add_class("msc-form-credentials")
        refused_note = widgets.HTML(
            "<small>Not offered: "
            + "; ".join(f"{escape(s.name)} ({escape(s.provider_type)}): presigning is not implemented for "
                        f"{escape(s.provider_type)} storage" for s in refused)  # fmt: skip
            + "</small>"
            if refused
            else ""
        )
        self.path = _text("Object", "datasets/model.bin, or msc://profile/path", "msc-form-path")
        self.browse_button = widgets.Button(description="Browse", tooltip="List what is under the typed prefix")
        self.browse_button.add_class("msc-form-browse")
        self.listing = widgets.Select(options=[], rows=8, layout=widgets.Layout(width="100%", display="none"))
        self.listing.add_class("msc-form-listing")
        self.more_button = widgets.Button(description="More…", layout=widgets.Layout(display="none"))
        self.more_button.add_class("msc-form-more")
        self.method = widgets.ToggleButtons(
            description="Method", options=["GET", "PUT", "HEAD"], style={**_LABELLED, "button_width": "auto"}
        )
        self.method.add_class("msc-form-method")
        self.expiry = widgets.Dropdown(description="Expires in", options=EXPIRY_PRESETS, value=3600, style=_LABELLED)
        self.expiry.add_class("msc-form-expiry")
        self.custom_expiry = widgets.Text(placeholder="e.g. 90m, 2h, 3d", layout=widgets.Layout(width="140px", display="none"))
        self.custom_expiry.add_class("msc-form-custom-expiry")
        self.signer = widgets.ToggleButtons(
            description="Signer", options=[("S3", "s3")], style={**_LABELLED, "button_width": "auto"}
        )
        self.signer.add_class("msc-form-signer")
        self.cloudfront = {name: _text(label, css=f"msc-form-{name.replace('_', '-')}") for name, label in CLOUDFRONT_FIELDS.items()}
        self.content_type = _text("Content-Type", "the uploader must send exactly this", "msc-form-content-type")
        self.download_as = _text("Download as", "file name the browser saves (optional)", "msc-form-download-as")
        self.sign_button = widgets.Button(description="Sign", button_style="primary", icon="link")
        self.sign_button.add_class("msc-form-sign")
        self.results = widgets.VBox()
        self.results.add_class("msc-form-results")

        self.errors = {
            name: _error_slot(f"msc-form-error-{name.replace('_', '-')}")
            for name in ("profile", "path", "method", "expiry", "signer", *CLOUDFRONT_FIELDS,
                         "content_type", "download_as", "general")  # fmt: skip
        }
        self.cloudfront_box = widgets.VBox(
            [w for name, field in self.cloudfront.items() for w in (field, self.errors[name])],
            layout=widgets.Layout(display="none"),
        )
        self.cloudfront_box.add_class("msc-form-cloudfront")
        self.put_box = widgets.VBox([self.content_type, self.errors["content_type"]], layout=widgets.Layout(display="none"))
        self.get_box = widgets.VBox([self.download_as, self.errors["download_as"]])
        wrap = widgets.Layout(flex_flow="row wrap", align_items="center", width="100%")
        super().__init__(
            [
                self.profile, self.credentials_note, self.errors["profile"], refused_note,
                widgets.HBox([widgets.Box([self.path], layout=widgets.Layout(flex="1 1 240px")), self.browse_button], layout=wrap),
                self.errors["path"], self.listing, self.more_button,
                self.method, self.errors["method"],
                widgets.HBox([self.expiry, self.custom_expiry], layout=wrap), self.errors["expiry"],
                self.signer, self.errors["signer"], self.cloudfront_box, self.put_box, self.get_box,
                self.sign_button, self.errors["general"], self.results,
            ],  # fmt: skip
            layout=widgets.Layout(width="100%", max_width="760px", min_width="0"),
            **kwargs,
        )
        self.add_class("msc-presign-form")

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
            self.path.on_submit(lambda _: self.sign())
        if not offered:
            self.errors["profile"].value = _error("no profile in the MSC config can presign; add an s3, s8k, gcs_s3 or ais_s3 profile")
            self.sign_button.disabled = self.browse_button.disabled = True
        self._profile_changed()

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
        defaults = self._cloudfront_defaults(name)
        for option, field in self.cloudfront.items():
            field.value = str(defaults.get(option) or "")
        if defaults.get("signer_type") == "cloudfront" and "cloudfront" in summary.signer_types:
            self.signer.value = "cloudfront"
        self._signer_changed()

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

    @staticmethod
    def _cloudfront_defaults(profile: str) -> dict[str, Any]:
        try:
            presign = StorageClientConfig.from_file(profile).presign
        except PresignError:
            return {}
        return {**(presign.get("cloudfront") or {}), "signer_type": presign.get("signer_type")}

    def _update_visibility(self) -> None:
        cloudfront = self.signer.value == "cloudfront"
        self.cloudfront_box.layout.display = "flex" if cloudfront else "none"
        self.put_box.layout.display = "flex" if self.method.value == "PUT" else "none"
        self.get_box.layout.display = "flex" if self.method.value == "GET" and not cloudfront else "none"
        self.custom_expiry.layout.display = "flex" if self.expiry.value is None else "none"

    # -- browsing -------------------------------------------------------------------------

    def browse(self, *, more: bool = False) -> None:
        """List what is under the typed prefix (one page; More… fetches the next)."""
        self._clear_errors()
        try:
            profile, prefix = self._target(allow_empty=True)
            token = self._listing.next_token if more and self._listing else None
            page = list_objects(
                storage_client_for("msc", profile), prefix, page_size=self.page_size, continuation_token=token
            )
        except PresignError as exc:
            self._show_error(exc)
            return
        if not page.entries and not more:
            self._hide_listing()
            self.errors["path"].value = _error(f"nothing found under {prefix or 'the top level'!r} in profile {profile!r}")
            return
        self._listing = page
        options = list(self.listing.options) if more else []
        options += [(_entry_label(e.path, e.is_prefix, e.size), e.path) for e in page.entries]
        self.listing.unobserve(self._picked, "value")
        self.listing.options = options
        self.listing.value = None
        self.listing.observe(self._picked, "value")
        self.listing.layout.display = "flex"
        self.more_button.layout.display = "flex" if page.next_token else "none"

    def _picked(self, change) -> None:
        if change["new"] is None:
            return
        self.path.value = change["new"]
        if change["new"].endswith("/"):
            self.browse()  # a folder: go in

    def _hide_listing(self) -> None:
        self._listing = None
        self.listing.layout.display = self.more_button.layout.display = "none"

    # -- signing --------------------------------------------------------------------------

    def sign(self) -> PresignedURL | None:
        """Sign what the form says; show the result on top (earlier ones stay) or the error inline."""
        self._clear_errors()
        try:
            profile, path = self._target()
            result = sign_url(
                f"msc://{profile}/{path}",
                method=self.method.value,
                signer_type=self.signer.value,
                signer_options=self._options(),
            )
        except PresignError as exc:
            self._show_error(exc)
            return None
        history.add(result)
        self.last_result = result
        self.results.children = (PresignResultWidget.for_result(result), *self.results.children)
        return result

    def _target(self, *, allow_empty: bool = False) -> tuple[str, str]:
        """The profile and path, from the fields; a full msc:// URL in the path wins."""
        text = self.path.value.strip()
        if text.lower().startswith("msc://"):
            parsed = parse_storage_url(text)
            if parsed.profile not in {s.name for s in self._summaries if s.presign_supported}:
                raise PresignError(f"profile {parsed.profile!r} is not one this form can sign for", field="path")
            self.profile.value = parsed.profile
            self.path.value = text = parsed.path
        if not text and not allow_empty:
            raise PresignError("type the object's path, e.g. datasets/model.bin, or Browse to pick one", field="path")
        if self.profile.value is None:
            raise PresignError("pick a profile", field="profile")
        return self.profile.value, text

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"expires_in": self._expires_in()}
        if self.signer.value == "cloudfront":
            # All of them, empty ones too: the form (pre-filled from the profile) is what counts.
            options.update({name: f.value.strip() for name, f in self.cloudfront.items()})
        if self.method.value == "PUT" and self.content_type.value.strip():
            options["content_type"] = self.content_type.value.strip()
        if self.method.value == "GET" and self.signer.value in ("s3", "azure") and self.download_as.value.strip():
            try:
                options["content_disposition"] = attachment_disposition(self.download_as.value.strip())
            except SignerOptionError as exc:
                raise SignerOptionError(str(exc), field="content_disposition") from None
        return options

    def _expires_in(self) -> int:
        if self.expiry.value is not None:
            return self.expiry.value
        try:
            return parse_duration(self.custom_expiry.value)
        except SignerOptionError as exc:
            raise SignerOptionError(str(exc), field="expires_in") from None

    # -- errors -----------------------------------------------------------------------------

    _FIELD_SLOTS = {"expires_in": "expiry", "signer_type": "signer", "content_disposition": "download_as"}

    def _show_error(self, exc: PresignError) -> None:
        slot = self._FIELD_SLOTS.get(exc.field or "", exc.field or "general")
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
    import re
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html_text)).removeprefix("⚠ ")


def _entry_label(path: str, is_prefix: bool, size: int | None) -> str:
    name = path.rstrip("/").rsplit("/", 1)[-1] + ("/" if is_prefix else "")
    if is_prefix or size is None:
        return f"📁 {name}"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{name}  ({size:.0f} {unit})" if unit == "B" else f"{name}  ({size:.1f} {unit})"
        size /= 1024
    return name
