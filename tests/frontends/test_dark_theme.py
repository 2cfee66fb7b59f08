"""The result widget reads well in JupyterLab's light and dark themes: in a real browser, the
link, the countdown (in each of its states), the method badge and the credential warning keep
a contrast of at least 4.5:1 (WCAG AA) against the background they are actually drawn on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml
from conftest import BUCKET, seaweed_profile
from support.browser import JupyterServer, chromium_page, open_and_run_all, screenshot, server_env, write_notebook

MIN_CONTRAST = 4.5
DARK = "JupyterLab Dark"
LIGHT = "JupyterLab Light"

# WCAG contrast of each element's text against its effective background: the first opaque
# background found walking up the tree, with translucent layers above it composited on top,
# and the text's own alpha (and its ancestors' opacity) blended in. Colours are read back
# through a 1x1 canvas, so any CSS colour syntax (rgb(), color(srgb ...), color-mix()) works.
CONTRAST_JS = """(elements) => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = (css) => {
    context.clearRect(0, 0, 1, 1);
    context.fillStyle = css;
    context.fillRect(0, 0, 1, 1);
    const d = context.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const colour = rgba(getComputedStyle(n).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const opacity = (node) => {
    let product = 1;
    for (let n = node; n; n = n.parentElement) product *= parseFloat(getComputedStyle(n).opacity);
    return product;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  return elements.map(node => {
    const bg = background(node);
    const fg = rgba(getComputedStyle(node).color);
    const text = over([fg[0], fg[1], fg[2], fg[3] * opacity(node)], bg);
    const [high, low] = [luminance(text), luminance(bg)].sort((a, b) => b - a);
    const result = node.closest('[data-testid=msc-presign-result]');
    return {
      what: node.dataset.testid || node.className,
      state: result ? result.dataset.state : null,
      text: node.textContent.slice(0, 40),
      ratio: Math.round(((high + 0.05) / (low + 0.05)) * 100) / 100,
      background_luminance: Math.round(luminance(bg) * 1000) / 1000,
    };
  });
}"""

CHECKED = (
    "[data-testid=msc-presign-link], [data-testid=msc-presign-countdown], "
    "[data-testid=msc-presign-warning], .msc-presign-method"
)

THEME_APPLIED_JS = """(name) => document.body.dataset.jpThemeName === name
  && getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim() !== ''"""


@pytest.fixture(scope="module")
def lab(seaweedfs, tmp_path_factory):
    root = tmp_path_factory.mktemp("jupyter-dark")
    config = root / "msc_config.yaml"
    soon = (datetime.now(timezone.utc) + timedelta(minutes=20)).isoformat()
    profiles = {"demo": seaweed_profile(seaweedfs), "short": seaweed_profile(seaweedfs, expiration=soon)}
    config.write_text(yaml.safe_dump({"profiles": profiles}, sort_keys=False))
    seaweedfs.client().put_object(Bucket=BUCKET, Key="hello.txt", Body=b"hello", ContentType="text/plain")
    write_notebook(root / "themes.ipynb", [
        "%load_ext msc_notebook",
        "%presign msc://demo/hello.txt -e 10m",         # state ok, a GET badge
        "%presign msc://demo/upload.bin -m PUT -e 75",  # state soon (under a minute left) soon after
        "%presign msc://demo/gone.txt -e 2",            # state expired
        "%presign msc://short/hello.txt -e 1h",         # cut short by its credentials: the warning
    ])  # fmt: skip
    server = JupyterServer("lab", root, server_env(root / "home", config)).start()
    yield server
    server.stop()


def _switch_theme(page, name: str) -> None:
    page.evaluate("(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", name)
    page.wait_for_function(THEME_APPLIED_JS, arg=name, timeout=30_000)
    page.wait_for_timeout(500)  # the theme's stylesheet replaces the old one


def _contrasts(page) -> list[dict]:
    return page.evaluate(CONTRAST_JS, page.locator(CHECKED).element_handles())


@pytest.mark.e2e
def test_result_widget_contrast_in_light_and_dark_themes(lab, tmp_path):
    with chromium_page(viewport={"width": 1200, "height": 1000}) as page:
        open_and_run_all(page, lab, "themes.ipynb")
        results = page.locator("[data-testid=msc-presign-result]")
        page.locator("[data-testid=msc-presign-warning]").wait_for(timeout=60_000)
        page.wait_for_function("() => document.querySelectorAll('[data-testid=msc-presign-result]').length === 4")
        results.locator("[data-testid=msc-presign-countdown]", has_text="expired").wait_for(timeout=15_000)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=msc-presign-result][data-state=soon]')", timeout=30_000
        )

        measured = {}
        for theme in (LIGHT, DARK):
            _switch_theme(page, theme)
            measured[theme] = _contrasts(page)
        warned = results.filter(has=page.locator("[data-testid=msc-presign-warning]"))
        screenshot(warned, "result-widget-dark.png", tmp_path)  # for README

        for theme, rows in measured.items():
            # Every state and every checked element was on the page, on the theme's own background.
            assert {row["state"] for row in rows} >= {"ok", "soon", "expired"}, rows
            assert {row["what"] for row in rows} >= {"msc-presign-link", "msc-presign-countdown", "msc-presign-warning"}
            page_background = [r["background_luminance"] for r in rows if r["what"] == "msc-presign-link"]
            if theme == DARK:
                assert max(page_background) < 0.1, rows
            else:
                assert min(page_background) > 0.8, rows
            low = [row for row in rows if row["ratio"] < MIN_CONTRAST]
            assert not low, f"{theme}: below {MIN_CONTRAST}:1: {low}"
