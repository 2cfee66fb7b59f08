"""One request path: %presign and the form build the same PresignRequest and refuse the same
input with the same words; the notebook layer uses the library's public API only."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BUCKET, seaweed_profile
from IPython.utils.capture import capture_output
from support.cloudfront import cloudfront_profile

import msc_notebook as msc
from msc_notebook.frontends.notebook._form import PresignForm
from msc_notebook.frontends.notebook._history import history

PACKAGE = Path(msc.__file__).parent

# (inputs as the magic takes them, as the form takes them, the error's field, words in the message)
REFUSED = [
    ("-m DELETE", {"method": "DELETE"}, "method", "use one of GET, PUT, HEAD"),
    ("-m PUT --signer cloudfront", {"method": "PUT", "signer": "cloudfront"}, "method", "does not bind the HTTP method"),
    ("-e soon", {"expires_in": "soon"}, "expires_in", "cannot read 'soon' as a duration"),
    ("-e 8d", {"expires_in": "8d"}, "expires_in", "7 days, the most an S3 URL or an Azure user delegation key allows"),
    ("-m GET --content-type text/plain", {"content_type": "text/plain"}, "content_type", "applies to PUT URLs"),
    ("--signer s3 --domain x.org", {"signer": "s3", "cloudfront": {"domain": "x.org"}}, "signer_type",
     "cannot sign with CloudFront options"),
    ("--signer cloudfront --download-as x.csv", {"signer": "cloudfront", "download_as": "x.csv"}, "download_as",
     "needs the S3 signer: CloudFront URLs cannot set response headers"),
    ("--signer cloudfront --domain 'http://evil.example.com'", {"signer": "cloudfront",
     "cloudfront": {"domain": "http://evil.example.com"}}, "domain", "https only"),
]  # fmt: skip


@pytest.fixture
def profiles(seaweedfs, write_config, cloudfront_key_file):
    write_config({"demo": seaweed_profile(seaweedfs), "cf": cloudfront_profile(cloudfront_key_file, base_path=BUCKET)})
    history.clear()


def _magic_error(shell, line: str) -> str:
    shell.run_line_magic("load_ext", "msc_notebook")
    try:
        with capture_output() as captured:
            shell.run_cell(f"%presign {line}", store_history=True)
    finally:
        shell.run_line_magic("unload_ext", "msc_notebook")
    return captured.stdout + captured.stderr


def _form_error(profile: str, inputs: dict) -> dict[str, str]:
    form = PresignForm()
    form.profile.value = profile
    form.path.value = "k.txt"
    if "signer" in inputs:
        form.signer.value = inputs["signer"]
    if inputs.get("method") in ("GET", "PUT", "HEAD"):
        form.method.value = inputs["method"]
    if "expires_in" in inputs:
        form.expiry.value = None
        form.custom_expiry.value = inputs["expires_in"]
    for name, value in inputs.get("cloudfront", {}).items():
        form.cloudfront[name].value = value
    form.content_type.value = inputs.get("content_type", "")
    form.download_as.value = inputs.get("download_as", "")
    assert form.sign() is None
    return form.error_messages


@pytest.mark.parametrize("line, inputs, field, words", REFUSED)
def test_the_library_refuses_with_the_field_named(profiles, line, inputs, field, words):
    profile = "cf" if inputs.get("signer") == "cloudfront" else "demo"
    with pytest.raises(msc.PresignError, match=words) as caught:
        msc.PresignRequest.from_inputs(f"msc://{profile}/k.txt", **inputs).sign()
    assert caught.value.field == field


@pytest.mark.parametrize("line, inputs, field, words", REFUSED)
def test_the_magic_says_the_same_in_one_line(profiles, ipython_shell, line, inputs, field, words):
    profile = "cf" if inputs.get("signer") == "cloudfront" else "demo"
    output = _magic_error(ipython_shell, f"msc://{profile}/k.txt {line}")
    assert words in output and "Traceback" not in output


# The form offers no DELETE, shows content type / download-as only where they apply and CloudFront
# fields only for the CloudFront signer: those rows cannot be typed there. Every other row gives the
# same words, next to its field.
FORM_ROWS = [row for row in REFUSED if row[1].get("method") != "DELETE" and "content_type" not in row[1]
             and "download_as" not in row[1] and row[2] != "signer_type"]  # fmt: skip


@pytest.mark.parametrize("line, inputs, field, words", FORM_ROWS)
def test_the_form_says_the_same_next_to_the_field(profiles, line, inputs, field, words):
    profile = "cf" if inputs.get("signer") == "cloudfront" else "demo"
    errors = _form_error(profile, inputs)
    assert list(errors) == [field] and words in errors[field]


def test_requests_from_both_front_ends_are_equal(profiles):
    form = PresignForm()
    form.profile.value = "demo"
    form.path.value = "reports/q3.csv"
    form.expiry.value = 900
    form.download_as.value = "Q3 report.csv"
    from_form = form.request()
    from_magic = msc.PresignRequest.from_inputs(
        "msc://demo/reports/q3.csv", method="GET", expires_in="15m", signer="s3", download_as="Q3 report.csv"
    )
    assert from_form == from_magic


def test_unquoted_spaces_say_how_to_quote(profiles, ipython_shell):
    output = _magic_error(ipython_shell, "msc://demo/a b.txt -e 5m")
    assert 'quote it: %presign "msc://demo/a b.txt"' in output and "unrecognized" not in output


def test_sign_again_signs_the_same_request_in_place(profiles, s3):
    from msc_notebook.frontends.notebook._result_widget import PresignResultWidget

    s3.put_object(Bucket=BUCKET, Key="again.txt", Body=b"again")
    request = msc.PresignRequest.from_inputs("msc://demo/again.txt", expires_in=1)
    first = request.sign()
    history.add(first)
    widget = PresignResultWidget.for_result(first, request=request)
    assert widget.can_sign_again
    second = widget.sign_again()
    assert second is not None and second.source == first.source and second.expires_in == 1
    assert widget.facts["url"] == str(second) and [f.url for f in history.newest_first()[:2]] == [str(second), str(first)]
    static = PresignResultWidget.for_result(first)
    assert not static.can_sign_again and static.sign_again() is None


def test_each_front_end_names_the_field_in_its_own_words(profiles, ipython_shell):
    inputs = {"signer": "cloudfront", "download_as": "x.csv"}
    with pytest.raises(msc.PresignError) as caught:
        msc.PresignRequest.from_inputs("msc://cf/k.txt", **inputs).sign()
    assert str(caught.value).startswith("download_as needs the S3 signer")  # the library's word
    magic = _magic_error(ipython_shell, "msc://cf/k.txt --signer cloudfront --download-as x.csv")
    assert "--download-as needs the S3 signer" in magic  # the flag that was typed
