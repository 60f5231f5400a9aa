"""The first run in a real browser: headless Chromium (Debian's package, driven by Selenium
through the system chromedriver) opens the home page of a real `armadilhas serve`, presses the
button, follows the fake GitHub's redirect back and lands on the "registered" page."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .test_ops import ServeProcess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not os.path.exists(CHROMEDRIVER),
    reason="chromium/chromium-driver not installed (apt-get install -y chromium chromium-driver); browser test skipped",
)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_register_in_a_headless_browser(fake_github, tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    with ServeProcess(fake_github, tmp_path) as server:
        browser.get(server.url + "/")
        assert "Register the GitHub App" in browser.page_source
        browser.find_element(By.ID, "register-button").click()
        WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "registered")))
        assert "The GitHub App is registered" in browser.find_element(By.ID, "registered").text
        install = browser.find_element(By.ID, "install").get_attribute("href")
        assert install == f"{fake_github.base_url}/apps/armadilhas/installations/new"
        assert browser.current_url.startswith(server.url + "/register/done")
        assert (tmp_path / "data" / "app.json").is_file()
        assert len(fake_github.requests_to("POST", r"^/app-manifests/.+/conversions$")) == 1
