"""The magics through a real IPython InteractiveShell: load/unload, every option, errors as one
line without a traceback, %config, profiles and history, and what the display carries."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from conftest import BUCKET, run_cell, seaweed_profile
from support.cloudfront import cloudfront_profile
from support.http_client import fetch

import msc_notebook as msc
from msc_notebook.core import _times as times

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def shell(ipython_shell):
    return ipython_shell


@pytest.fixture
def magic_profiles(seaweedfs, write_config, cloudfront_key_file):
    write_config({"demo": seaweed_profile(seaweedfs), "cf": cloudfront_profile(cloudfront_key_file, base_path=BUCKET),
                  "blob": {"storage_provider": {"type": "oci", "options": {"base_path": "container"}}}})  # fmt: skip
    return "demo"


def test_load_twice_and_unload_cleanly(shell):
    shell.run_line_magic("load_ext", "msc_notebook")
    shell.run_line_magic("reload_ext", "msc_notebook")
    shell.extension_manager.load_extension("msc_notebook")  # already loaded: harmless
    assert sum(type(c).__name__ == "PresignMagics" for c in shell.configurables) == 1
    assert {"presign", "presign_profiles", "presign_history"} <= set(shell.magics_manager.magics["line"])
    shell.run_line_magic("unload_ext", "msc_notebook")
    assert not {"presign", "presign_profiles", "presign_history"} & set(shell.magics_manager.magics["line"])
    assert not any(type(c).__name__ == "PresignMagics" for c in shell.configurables)
    assert msc.PresignedURL not in shell.display_formatter.ipython_display_formatter.type_printers
    result, captured = run_cell(shell, "%presign msc://p/k")
    assert "UsageError" in captured.stderr + captured.stdout or result.error_in_exec is not None


def test_presign_displays_once_and_returns_the_url(ip, magic_profiles, s3):
    s3.put_object(Bucket=BUCKET, Key="datasets/model.bin", Body=b"model")
    result, captured = run_cell(ip, "%presign msc://demo/datasets/model.bin -e 15m")
    url = result.result
    assert isinstance(url, msc.PresignedURL) and url.expires_in == 900
    assert fetch(url).content == b"model"
    assert len(captured.outputs) == 1  # shown by the magic, not again as the cell's value
    assert "PresignedURL(" not in captured.stdout and "http" not in captured.stdout  # no second rendering
    bundle = captured.outputs[0].data
    assert WIDGET in bundle
    assert f'href="{url}"'.replace("&", "&amp;") in bundle["text/html"]
    assert 'target="_blank" rel="noopener noreferrer"' in bundle["text/html"]
    assert "Valid until" in bundle["text/html"] and "UTC" in bundle["text/plain"]
    # Assignment form: displayed too, value kept.
    result, captured = run_cell(ip, "url = %presign msc://demo/datasets/model.bin")
    assert len(captured.outputs) == 1 and isinstance(ip.user_ns["url"], msc.PresignedURL)
    # Showing the variable later displays it again (a new cell).
    result, captured = run_cell(ip, "url")
    assert len(captured.outputs) == 1 and WIDGET in captured.outputs[0].data


@pytest.mark.parametrize(
    "line, method, expires_in",
    [("-m PUT", "PUT", 3600), ("--method head -e 90s", "HEAD", 90), ("-e 2h", "GET", 7200),
     ("-e 7d", "GET", 604800), ("-e 1h30m", "GET", 5400), ("-e 45", "GET", 45)],
)  # fmt: skip
def test_method_and_expiry_options(ip, magic_profiles, line, method, expires_in):
    url = ip.run_line_magic("presign", f"msc://demo/k {line} -q")
    assert (url.method, url.expires_in) == (method, expires_in)


def test_put_with_content_type_shows_a_curl_command_that_works(ip, magic_profiles, s3, tmp_path):
    _, captured = run_cell(ip, "%presign msc://demo/uploads/table.csv -m PUT --content-type text/csv")
    bundle = captured.outputs[0].data
    curl = next(line for line in bundle["text/plain"].splitlines() if line.startswith("upload: ")).removeprefix("upload: ")
    assert "-H 'Content-Type: text/csv'" in curl and "--upload-file table.csv" in curl
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    subprocess.run(curl, shell=True, check=True, cwd=tmp_path, capture_output=True)
    obj = s3.get_object(Bucket=BUCKET, Key="uploads/table.csv")
    assert obj["Body"].read() == b"a,b\n1,2\n" and obj["ContentType"] == "text/csv"


def test_download_as_sets_content_disposition(ip, magic_profiles, s3):
    s3.put_object(Bucket=BUCKET, Key="reports/q3.csv", Body=b"q3")
    url = ip.run_line_magic("presign", 'msc://demo/reports/q3.csv --download-as "Q3 report (final).csv" -q')
    disposition = fetch(url).headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Q3 report (final).csv"')


def test_python_variables_expand(ip, magic_profiles):
    ip.user_ns["key"] = "datasets/model.bin"
    url = ip.run_line_magic("presign", "msc://demo/{key} -q")
    assert url.source == "msc://demo/datasets/model.bin"


def test_quoted_keys_with_spaces(ip, magic_profiles, s3):
    s3.put_object(Bucket=BUCKET, Key="with space/a b.txt", Body=b"s")
    url = ip.run_line_magic("presign", '"msc://demo/with space/a b.txt" -q')
    assert fetch(url).content == b"s"


def test_cloudfront_options_and_cookies(ip, magic_profiles, cloudfront_key_file):
    url = ip.run_line_magic("presign", "msc://cf/results/experiment.zarr/* --signer cloudfront -e 2h -q")
    assert url.signer_type == "cloudfront" and url.details.policy == "custom" and url.expires_in == 7200
    url = ip.run_line_magic("presign", "msc://cf/x.bin --domain cdn.example.org --ip-range 192.0.2.0/24 -q")
    assert url.startswith("https://cdn.example.org/x.bin?Policy=")  # a CloudFront flag implies the signer
    result, captured = run_cell(ip, "%presign msc://cf/results/experiment.zarr/* --signer cloudfront --cookies")
    cookies = result.result
    assert isinstance(cookies, msc.SignedCookies) and "CloudFront-Policy" in cookies
    text = captured.outputs[0].data["text/plain"]
    assert "Cookie: CloudFront-Policy=" in text
    html = captured.outputs[0].data["text/html"]
    assert "zarr.open_group(" in html and "&quot;headers&quot;" in html


def test_wildcard_display_shows_parameters_and_zarr_snippet(ip, magic_profiles):
    _, captured = run_cell(ip, "%presign msc://cf/results/experiment.zarr/* --signer cloudfront")
    html = captured.outputs[0].data["text/html"]
    assert "append this to each object URL" in html and "?Policy=" in html
    assert "zarr.open_group(" in html and "&quot;params&quot;" in html


@pytest.mark.parametrize(
    "line, message",
    [
        ("", "the following arguments are required: url"),
        ("msc://nope/k", "profile 'nope' is not in"),
        ("msc://demo/k -m DELETE", "use one of GET, PUT, HEAD"),
        ("msc://demo/k -e soon", "cannot read 'soon' as a duration"),
        ("msc://demo/k -e 8d", "7 days"),
        ("msc://demo/k --content-type text/plain", "applies to PUT URLs"),
        ("msc://demo/a/* ", "there is nothing under msc://demo/a/* to share"),
        ("msc://demo/a/* -m PUT", "exactly one object"),
        ("msc://blob/k", "not implemented for storage provider type 'oci'"),
        ("msc://cf/k --signer cloudfront -m PUT", "does not bind the HTTP method"),
        ("msc://cf/k --signer s3 --domain x.org", "--signer 's3' cannot sign with CloudFront options (domain)"),
        ("msc://cf/k --signer cloudfront --download-as x.csv", "needs the S3 signer"),
        ("msc://demo/k --cookies --signer s3", "--signer 's3' cannot sign with signed cookies"),
        ("https://example.com/x", "not an object URL"),
        ("msc://demo/k --bogus", "unrecognized arguments: --bogus"),
        ('"msc://demo/a b', "cannot read the arguments: No closing quotation"),
        ("msc://demo/k -e ²", "cannot read '²' as a duration"),
        ("msc://cf/k/* --signer cloudfront --cookies -m PUT", "signed cookies are for reading"),
        ("msc://cf/k --domain cdn.example.org --download-as x.csv", "--download-as needs the S3 signer"),
    ],
)
def test_errors_are_one_line_without_traceback(ip, magic_profiles, line, message):
    result, captured = run_cell(ip, f"%presign {line}")
    shown = captured.stdout + captured.stderr
    assert message in shown, shown
    assert "Traceback" not in shown and "File \"" not in shown
    assert result.result is None
    assert len([line for line in shown.strip().splitlines() if line.strip()]) <= 3


def test_config_defaults(ip, magic_profiles, caplog):
    ip.run_cell("%config PresignMagics.default_expires_in = 900")
    ip.run_cell("%config PresignMagics.default_method = 'head'")
    try:
        url = ip.run_line_magic("presign", "msc://demo/k -q")
        assert (url.expires_in, url.method) == (900, "HEAD")
        assert ip.run_line_magic("presign", "msc://demo/k -e 60 -m GET -q").expires_in == 60
        ip.run_cell("%config PresignMagics.default_signer = 'cloudfront'")
        assert ip.run_line_magic("presign", "msc://cf/k -q -m GET").signer_type == "cloudfront"
        ip.run_cell("%config PresignMagics.show_widget = False")
        _, captured = run_cell(ip, "u = %presign msc://demo/k -m GET --signer s3")
        assert captured.outputs == [] and ip.user_ns["u"].signer_type == "s3"
        run_cell(ip, "%config PresignMagics.default_method = 'POST'")
        assert "default_method must be GET, PUT or HEAD, not 'POST'" in caplog.text
        assert ip.run_line_magic("presign", "msc://demo/k -q --signer s3").method == "HEAD"  # unchanged
    finally:
        for cell in ("default_expires_in = None", "default_method = 'GET'", "default_signer = None", "show_widget = True"):
            ip.run_cell(f"%config PresignMagics.{cell}")
    _, captured = run_cell(ip, "%config PresignMagics")
    assert "default_expires_in" in captured.stdout


def test_profiles_table(ip, magic_profiles, seaweedfs):
    _, captured = run_cell(ip, "%presign_profiles")
    text = captured.outputs[0].data["text/plain"]
    rows = {line.split()[0]: line for line in text.splitlines()[2:]}
    assert "yes: s3, cloudfront" in rows["demo"] and "keys in the MSC config" in rows["demo"]
    assert seaweedfs.endpoint_url in rows["demo"] and "does not expire" in rows["demo"]
    assert "no" in rows["blob"] and "not implemented for 'oci'" in rows["blob"]
    assert "<table>" in captured.outputs[0].data["text/html"]


def test_profiles_table_reads_the_config_it_is_given(ip, magic_profiles, seaweedfs, tmp_path):
    import yaml

    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({"profiles": {"elsewhere": seaweed_profile(seaweedfs)}}))
    _, captured = run_cell(ip, f"%presign_profiles --config {other}")
    text = captured.outputs[0].data["text/plain"]
    assert "elsewhere" in text and "keys in the MSC config" in text and "is not in" not in text


def test_wildcard_result_is_not_a_dead_link(ip, magic_profiles):
    _, captured = run_cell(ip, "%presign msc://cf/results/experiment.zarr/* --signer cloudfront")
    assert "<a href" not in captured.outputs[0].data["text/html"]  # the * URL itself fetches nothing


def test_profiles_table_shows_expiring_credentials(ip, write_config, monkeypatch):
    from datetime import datetime, timedelta, timezone

    expiry = (datetime.now(timezone.utc) + timedelta(minutes=25)).strftime("%Y-%m-%dT%H:%M:%SZ")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAX")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "t")
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", expiry)
    write_config({"sts": {"storage_provider": {"type": "s3", "options": {"base_path": "bkt"}}},
                  "gone": {"storage_provider": {"type": "s3", "options": {"base_path": "b"}},
                           "credentials_provider": {"type": "S3Credentials", "options": {
                               "access_key": "A", "secret_key": "S", "expiration": "2020-01-01T00:00:00Z"}}}})  # fmt: skip
    _, captured = run_cell(ip, "%presign_profiles")
    text = captured.outputs[0].data["text/plain"]
    assert "environment variables" in text and ("24 min" in text or "25 min" in text)
    assert "have expired" in text or "expired at" in text


def test_history_newest_first_and_clear(ip, magic_profiles, monkeypatch, clock):
    for key in ("first", "second", "third"):
        ip.run_line_magic("presign", f"msc://demo/{key} -q")
    _, captured = run_cell(ip, "%presign_history")
    sources = [o.data["text/plain"].split()[1] for o in captured.outputs if WIDGET in o.data]
    assert sources == ["msc://demo/third", "msc://demo/second", "msc://demo/first"]
    ip.run_line_magic("presign", "msc://demo/brief -e 1 -q")
    later = times.utcnow() + timedelta(seconds=2)
    clock(later)  # the 1 s URL has expired, the others not
    _, captured = run_cell(ip, "%presign_history")
    assert "expired at" in captured.outputs[1].data["text/plain"]  # the newest, 1 s URL
    _, captured = run_cell(ip, "%presign_history --clear")
    assert "Forgot 4 signed URLs" in captured.stdout
    _, captured = run_cell(ip, "%presign_history")
    assert "Nothing signed yet" in captured.stdout


def test_hostile_key_is_escaped_everywhere(ip, magic_profiles):
    _, captured = run_cell(ip, '%presign "msc://demo/<img src=x onerror=alert(1)>.txt"')
    html = captured.outputs[0].data["text/html"]
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_help_has_examples(ip):
    _, captured = run_cell(ip, "%presign?")
    text = captured.stdout
    assert "--expires-in" in text and "%presign msc://my-profile/results/experiment.zarr/* --signer cloudfront" in text


def test_no_secret_in_any_display(ip, magic_profiles, seaweedfs, cloudfront_key_file):
    key_body = "".join(cloudfront_key_file.read_text().splitlines()[1:-1])
    outputs = []
    for cell in ("%presign msc://demo/a", "%presign msc://demo/b -m PUT", "%presign_profiles", "%presign_history",
                 "%presign msc://cf/x/* --signer cloudfront --cookies"):  # fmt: skip
        outputs.append(run_cell(ip, cell)[1])
    for captured in outputs:
        blob = captured.stdout + captured.stderr + repr([o.data for o in captured.outputs])
        assert seaweedfs.secret_key not in blob
        assert all(key_body[i : i + 32] not in blob for i in range(0, len(key_body), 32))


def test_display_says_when_credentials_cut_the_url_short(ip, write_config, monkeypatch):
    from datetime import datetime, timedelta, timezone

    expiry = datetime.now(timezone.utc) + timedelta(minutes=10)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAX")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "t")
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", expiry.strftime("%Y-%m-%dT%H:%M:%SZ"))
    write_config({"sts": {"storage_provider": {"type": "s3", "options": {"base_path": "bkt", "region_name": "us-east-1"}}}})
    result, captured = run_cell(ip, "%presign msc://sts/k -e 1h")
    assert result.result.limited_by_credentials
    assert "CredentialExpiryWarning" not in captured.stderr  # the display says it; no stray Python warning
    (output,) = captured.outputs
    facts = output.data["text/plain"]
    assert "warning: The credentials that signed this URL expire at" in facts
    assert f"valid until {expiry:%Y-%m-%d %H:%M:%S} UTC" in facts
    assert "⚠" in output.data["text/html"] and ("50 min less" in output.data["text/html"] or "51 min less" in output.data["text/html"])
