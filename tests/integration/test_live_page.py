"""The live page in headless Chromium (Debian's chromium + chromedriver, driven by selenium)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import produce

from .conftest import Pipeline
from .test_api import api, base  # noqa: F401  (the module-scoped worker fixture)

# Escaped markup survives cleaning as literal text: the page must show it, not run it.
HOSTILE_TITLE = '&lt;img src=x onerror="window.__pwned=1"&gt; Título &lt;b&gt;con&lt;/b&gt;'
SHOWN_TITLE = '<img src=x onerror="window.__pwned=1"> Título <b>con</b>'


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.fail("chromium and chromedriver are needed: run `make browser-deps` (Debian packages)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    yield driver
    driver.quit()


# Read the table in one script call: the page re-renders it every second, so
# element handles held across calls would go stale.
ROWS_SCRIPT = """
return Object.fromEntries([...document.querySelectorAll('#rows tr')].map((tr) => [tr.dataset.id, {
  titles: [...tr.querySelectorAll('.title')].map((e) => e.textContent),
  elements: tr.querySelectorAll('img, b, script').length,
}]));
"""


def rows(driver: Any) -> dict[str, Any]:
    return dict(driver.execute_script(ROWS_SCRIPT))


def test_page_shows_new_articles_live_as_text_without_console_errors(
    api: Pipeline,  # noqa: F811
    browser: Any,
) -> None:
    browser.get(base(api) + "/")
    WebDriverWait(browser, 30).until(lambda d: len(rows(d)) >= 1)
    assert "new-live" not in rows(browser)
    article = {"id": "new-live", "title": HOSTILE_TITLE, "summary": "Resumen en vivo, sin recargar."}
    produce(api.bootstrap, api.input, [(b"new-live", json.dumps(article).encode())])
    WebDriverWait(browser, 60).until(lambda d: "new-live" in rows(d))
    row = rows(browser)["new-live"]
    assert row["titles"] == [SHOWN_TITLE, SHOWN_TITLE]  # original | English (the copy model)
    assert row["elements"] == 0  # the markup stayed text: no element came from the data
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.find_element(By.ID, "p50").text != "–"
    time.sleep(1.5)  # one more poll, to catch errors from a steady state too
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
