"""The result widget in a real browser (Chromium) in JupyterLab 4 and Notebook 7: the link opens
the object, the copy button fills the clipboard, the countdown ticks with no kernel traffic,
a short URL reaches "expired", and a hostile key stays text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from browser_support import JupyterServer, chromium_page, open_and_run_all, server_env, write_notebook
from conftest import BUCKET, seaweed_profile

HOSTILE = "<img src=x onerror=alert(1)>.txt"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "notebooks" / "screenshots"


@pytest.fixture(scope="module", params=["lab", "notebook7"])
def server(request, seaweedfs, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"jupyter-{request.param}")
    config = root / "msc_config.yaml"
    config.write_text(yaml.safe_dump({"profiles": {"demo": seaweed_profile(seaweedfs)}}))
    client = seaweedfs.client()
    for key, body in (("hello.txt", b"hello from the browser test"), ("brief.txt", b"brief"), (HOSTILE, b"x")):
        client.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="text/plain")
    write_notebook(root / "widget.ipynb", [
        "%load_ext msc_notebook",
        "url = %presign msc://demo/hello.txt -e 10m",
        "%presign msc://demo/brief.txt -e 5",
        f'%presign "msc://demo/{HOSTILE}"',
    ])  # fmt: skip
    jupyter = JupyterServer(request.param, root, server_env(root / "home", config)).start()
    yield jupyter
    jupyter.stop()


def _result(page, source: str):
    return page.locator("[data-testid=msc-presign-result]").filter(
        has=page.locator("[data-testid=msc-presign-link]", has_text=source)
    )


def test_result_widget_in_the_browser(server):
    kernel_frames: list[float] = []
    dialogs: list[str] = []
    with chromium_page(viewport={"width": 1200, "height": 900}) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

        def watch(ws):
            if "/api/kernels/" in ws.url:
                ws.on("framereceived", lambda _: kernel_frames.append(time.monotonic()))
                ws.on("framesent", lambda _: kernel_frames.append(time.monotonic()))

        page.on("websocket", watch)
        open_and_run_all(page, server, "widget.ipynb")
        hello = _result(page, "msc://demo/hello.txt")
        hello.wait_for(timeout=60_000)
        page.locator("[data-testid=msc-presign-result]").nth(2).wait_for(timeout=30_000)

        # The link's href is the signed URL; following it returns the object.
        link = hello.locator("a[data-testid=msc-presign-link]")
        href = link.get_attribute("href")
        assert href == hello.locator("[data-testid=msc-presign-url]").inner_text().strip()
        assert "X-Amz-Signature=" in href and link.get_attribute("target") == "_blank"
        assert "noopener" in link.get_attribute("rel")
        with page.expect_popup() as popup_info:
            link.click()
        popup = popup_info.value
        popup.wait_for_load_state()
        assert "hello from the browser test" in popup.content()
        popup.close()

        # The copy button puts exactly the URL on the clipboard.
        hello.locator("[data-testid=msc-presign-copy]").click()
        page.wait_for_function("() => navigator.clipboard.readText().then(t => t.startsWith('http'))")
        assert page.evaluate("() => navigator.clipboard.readText()") == href

        # The countdown ticks in the browser: about the elapsed seconds, no kernel frames.
        page.wait_for_function(KERNEL_IDLE_AND_QUIET, timeout=30_000)
        countdown = hello.locator("[data-testid=msc-presign-countdown]")
        before_frames, started = len(kernel_frames), time.monotonic()
        first = int(countdown.get_attribute("data-seconds-left"))
        page.wait_for_timeout(4000)
        second = int(countdown.get_attribute("data-seconds-left"))
        elapsed = time.monotonic() - started
        assert abs((first - second) - elapsed) <= 1.5, (first, second, elapsed)
        assert len(kernel_frames) == before_frames, "the countdown must not talk to the kernel"
        assert 500 < second <= 600 and "left" in countdown.inner_text()
        assert "UTC" in hello.locator("[data-testid=msc-presign-expiry]").inner_text()

        # The 5-second URL reaches "expired".
        brief = _result(page, "msc://demo/brief.txt")
        brief.locator("[data-testid=msc-presign-countdown]", has_text="expired").wait_for(timeout=15_000)
        assert brief.get_attribute("data-state") == "expired"

        # A hostile key is shown as text, never as markup.
        hostile = _result(page, HOSTILE)
        assert hostile.locator("[data-testid=msc-presign-link]").inner_text() == f"msc://demo/{HOSTILE}"
        assert page.locator("[data-testid=msc-presign-result] img").count() == 0
        assert dialogs == []

        if server.app == "lab":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            hello.screenshot(path=str(SCREENSHOTS / "result-widget.png"))


KERNEL_IDLE_AND_QUIET = """() => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  return kernel.status === 'idle';
}"""
