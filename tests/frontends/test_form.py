"""The presign form, kernel side: fill, click, read the result, and errors next to their field."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import ipywidgets
import pytest
from conftest import BUCKET, seaweed_profile
from support.cloudfront import DOMAIN, KEY_PAIR_ID, cloudfront_profile
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook.frontends.notebook._form import PresignForm
from msc_notebook.frontends.notebook._history import history


@pytest.fixture
def config(seaweedfs, write_config, cloudfront_key_file):
    cf = cloudfront_profile(cloudfront_key_file, base_path=BUCKET)
    expired = seaweed_profile(seaweedfs, expiration="2020-01-01T00:00:00Z")
    write_config({"demo": seaweed_profile(seaweedfs), "cf": cf, "stale": expired,
                  "blob": {"storage_provider": {"type": "oci", "options": {"base_path": "c"}}}})  # fmt: skip
    history.clear()


@pytest.fixture
def form(config) -> PresignForm:
    return PresignForm()


def test_profiles_offered_and_refused(form):
    assert form.profile.options == (("demo (s3)", "demo"), ("cf (s3)", "cf"), ("stale (s3)", "stale"))
    refused = [c for c in form.children if isinstance(c, ipywidgets.HTML) and "Not offered" in c.value]
    assert "blob (oci): presigning is not implemented for oci storage" in refused[0].value
    assert "keys in the MSC config" in form.credentials_note.value and "does not expire" in form.credentials_note.value


def test_fill_click_and_get_the_object(form, s3):
    s3.put_object(Bucket=BUCKET, Key="form/hello.txt", Body=b"from the form")
    form.path.value = "form/hello.txt"
    form.sign_button.click()
    url = form.last_result
    assert form.error_messages == {}
    assert isinstance(url, msc.PresignedURL) and url.source == "msc://demo/form/hello.txt" and url.expires_in == 3600
    assert fetch(url).content == b"from the form"
    assert form.results.children[0].facts["url"] == str(url)
    assert history.newest_first()[0].url == str(url) and history.newest_first()[0].source == url.source
    # Signing again keeps the earlier result, newest on top.
    form.expiry.value = 900
    form.sign_button.click()
    assert len(form.results.children) == 2 and form.results.children[0].facts["expires_in_text"] == "15 min"


def test_enter_in_the_path_field_signs(form):
    form.path.value = "form/enter.txt"
    form.path._handle_string_msg(None, {"event": "submit"}, [])  # what the browser sends on Enter
    assert form.last_result is not None and form.last_result.source == "msc://demo/form/enter.txt"


def test_full_msc_url_in_the_path_field_picks_the_profile(form):
    form.path.value = "msc://cf/datasets/x.bin"
    form.sign_button.click()
    assert form.profile.value == "cf" and form.path.value == "datasets/x.bin"
    assert form.last_result.source == "msc://cf/datasets/x.bin"


@pytest.mark.parametrize("custom, seconds", [("90m", 5400), ("2h", 7200), ("7d", 604800), ("45", 45)])
def test_custom_expiry(form, custom, seconds):
    form.path.value = "k"
    form.expiry.value = None
    assert form.custom_expiry.layout.display == "flex"
    form.custom_expiry.value = custom
    assert form.sign().expires_in == seconds


@pytest.mark.parametrize("custom, message", [("soon", "cannot read 'soon' as a duration"), ("8d", "7 days"), ("", "cannot read")])
def test_bad_expiry_is_shown_next_to_the_expiry(form, custom, message):
    form.path.value = "k"
    form.expiry.value = None
    form.custom_expiry.value = custom
    assert form.sign() is None
    assert list(form.error_messages) == ["expires_in"] and message in form.error_messages["expires_in"]
    assert form.results.children == ()


def test_empty_path_is_shown_next_to_the_path(form):
    form.sign_button.click()
    assert "type the object's path" in form.error_messages["path"]


def test_put_shows_content_type_and_signs_it(form, s3):
    assert form.put_box.layout.display == "none" and form.get_box.layout.display == "flex"
    form.method.value = "PUT"
    assert form.put_box.layout.display == "flex" and form.get_box.layout.display == "none"
    form.path.value = "form/upload.json"
    form.content_type.value = "application/json"
    url = form.sign()
    assert fetch(url, "PUT", data=b"{}", headers={"Content-Type": "application/json"}).status_code == 200
    assert "-H 'Content-Type: application/json'" in form.results.children[0].facts["curl"]


def test_download_as(form, s3):
    s3.put_object(Bucket=BUCKET, Key="form/r.csv", Body=b"r")
    form.path.value = "form/r.csv"
    form.download_as.value = "Report 2026.csv"
    assert fetch(form.sign()).headers["Content-Disposition"].startswith('attachment; filename="Report 2026.csv"')


def test_cloudfront_fields_appear_prefilled_and_hide(form):
    assert form.cloudfront_box.layout.display == "none"
    form.profile.value = "cf"
    assert [label for label, _ in form.signer.options] == ["S3", "CloudFront"]
    form.signer.value = "cloudfront"
    assert form.cloudfront_box.layout.display == "flex" and form.get_box.layout.display == "none"
    assert form.cloudfront["key_pair_id"].value == KEY_PAIR_ID and form.cloudfront["domain"].value == DOMAIN
    form.path.value = "results/experiment.zarr/*"
    url = form.sign()
    assert url.signer_type == "cloudfront" and url.details.policy == "custom"
    assert form.results.children[0].facts["zarr_snippet"]
    form.signer.value = "s3"
    assert form.cloudfront_box.layout.display == "none"


def test_missing_cloudfront_key_is_shown_next_to_it(form, tmp_path):
    form.profile.value = "cf"
    form.signer.value = "cloudfront"
    form.cloudfront["private_key_path"].value = str(tmp_path / "gone.pem")
    form.path.value = "x"
    assert form.sign() is None
    assert list(form.error_messages) == ["private_key_path"] and "does not exist" in form.error_messages["private_key_path"]
    form.cloudfront["private_key_path"].value = ""
    form.cloudfront["domain"].value = "http://evil.example.com"
    form.sign()
    assert list(form.error_messages) == ["private_key_path"]  # the first problem, where it is
    assert "needs private_key_path" in form.error_messages["private_key_path"]


def test_bad_domain_is_shown_next_to_the_domain(form):
    form.profile.value = "cf"
    form.signer.value = "cloudfront"
    form.cloudfront["domain"].value = "http://cdn.example.com"
    form.path.value = "x"
    form.sign()
    assert list(form.error_messages) == ["domain"] and "https only" in form.error_messages["domain"]


def test_expired_credentials_are_shown_at_the_profile(form):
    form.profile.value = "stale"
    assert "expired" in form.error_messages["profile"]
    form.path.value = "x"
    assert form.sign() is None
    assert "refresh them" in form.error_messages["profile"]


def test_wildcard_on_s3_shares_the_prefix_and_an_empty_one_is_refused_at_the_path(form):
    form.path.value = "form-nothing-here/*"  # a prefix no other test writes under
    form.sign()
    assert "nothing under msc://demo/form-nothing-here/* to share" in form.error_messages["path"]


def test_browse_lists_folders_and_objects_page_by_page(form, s3):
    for i in range(7):
        s3.put_object(Bucket=BUCKET, Key=f"browse/item-{i}.bin", Body=b"x" * (i * 600))
    s3.put_object(Bucket=BUCKET, Key="browse/sub/deep.txt", Body=b"d")
    form.page_size = 5
    form.path.value = "browse/"
    form.browse_button.click()
    assert form.listing_row.layout.display == "flex" and form.more_row.layout.display == "flex"
    first = [value for _, value in form.listing.options]
    assert len(first) == 5
    form.more_button.click()
    values = [value for _, value in form.listing.options]
    assert sorted(values) == sorted([f"browse/item-{i}.bin" for i in range(7)] + ["browse/sub/"])
    assert form.more_row.layout.display == "none"
    labels = dict((v, k) for k, v in form.listing.options)
    assert labels["browse/sub/"] == "📁 sub/" and labels["browse/item-2.bin"] == "item-2.bin  (1.2 KiB)"
    form.listing.value = "browse/sub/"  # a folder: goes in
    assert form.path.value == "browse/sub/" and [v for _, v in form.listing.options] == ["browse/sub/deep.txt"]
    form.listing.value = "browse/sub/deep.txt"  # an object: picked
    assert form.path.value == "browse/sub/deep.txt"
    assert fetch(form.sign()).content == b"d"


def test_browse_an_unknown_prefix(form):
    form.path.value = "no/such/prefix/"
    form.browse_button.click()
    assert "nothing found under 'no/such/prefix/'" in form.error_messages["path"]
    assert form.listing_row.layout.display == "none"


def test_profile_shows_how_long_credentials_have_left(write_config, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAX")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "t")
    expiry = datetime.now(timezone.utc) + timedelta(hours=2, minutes=5)
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", expiry.strftime("%Y-%m-%dT%H:%M:%SZ"))
    write_config({"sts": {"storage_provider": {"type": "s3", "options": {"base_path": "bkt"}}}})
    form = PresignForm()
    assert "environment variables" in form.credentials_note.value and "2 h" in form.credentials_note.value


def test_no_config_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("MSC_CONFIG", str(tmp_path / "none.yaml"))
    with pytest.raises(msc.PresignError, match="the presign form needs an MSC config"):
        PresignForm()


def _all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _all_widgets(child)


def test_no_secret_in_widget_state(form, seaweedfs, cloudfront_key_file):
    form.path.value = "k"
    form.sign()
    form.profile.value = "cf"
    form.signer.value = "cloudfront"
    form.sign()
    pem_body = "".join(cloudfront_key_file.read_text().splitlines()[1:-1])
    state = repr([w.get_state() for w in _all_widgets(form)])
    assert seaweedfs.secret_key not in state
    assert all(pem_body[i : i + 32] not in state for i in range(0, len(pem_body), 32))


def test_magic_shows_the_form(config, ipython_shell):
    from IPython.utils.capture import capture_output

    ip = ipython_shell
    ip.run_line_magic("load_ext", "msc_notebook")
    try:
        with capture_output() as captured:
            ip.run_cell("%presign_form", store_history=True)
        assert "application/vnd.jupyter.widget-view+json" in captured.outputs[0].data
        assert isinstance(msc.PresignForm(), PresignForm)
    finally:
        ip.run_line_magic("unload_ext", "msc_notebook")
