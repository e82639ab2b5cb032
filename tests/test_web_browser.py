"""The web view in headless Chromium (Debian's chromium and chromium-driver, driven by Selenium).

One browser for the module: open the dashboard, follow a story, run a search and the rule tester,
and save screenshots: to a temporary folder, or to $NEWSWATCH_SCREENSHOTS
(`NEWSWATCH_SCREENSHOTS=docs/screenshots` renews the docs' pictures). Under CI=true a missing
Chromium fails the tests; elsewhere they are skipped with the reason.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.webview import crawled_archive, served

CHROMIUM = Path(os.environ.get("NEWSWATCH_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("NEWSWATCH_CHROMEDRIVER", "/usr/bin/chromedriver"))
DESKTOP, PHONE = (1280, 900), (390, 844)


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"no {path} (apt-get install {package})"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser or a driver
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--no-first-run",
                     "--disable-sync", "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("web-browser")
    shots = Path(os.environ.get("NEWSWATCH_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    with crawled_archive(directory) as crawled, served(crawled.config) as base:
        yield {"base": base, "crawled": crawled, "shots": shots}


def wait_for(driver, css: str, timeout: float = 20):
    """The elements matching `css` once there are any (a submitted form loads a new page)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))


def shoot(driver, site: dict, name: str, size: tuple[int, int] = DESKTOP) -> Path:
    """A screenshot of the whole page at this width (the window grows to the page's height)."""
    driver.set_window_size(size[0], size[1])
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size[0], min(max(height, size[1]), 4000))
    site["shots"].mkdir(parents=True, exist_ok=True)
    path = site["shots"] / f"{name}.png"
    assert driver.save_screenshot(str(path))
    driver.set_window_size(*DESKTOP)
    return path


def test_dashboard_then_a_story(browser, site) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site["base"] + "/")
    assert browser.title == "Dashboard · newswatch"
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "section.watch h2")]
    assert any(h.startswith("Ilya Ponomarev") for h in headings) and any(h.startswith("Belgorod raid") for h in headings)
    stylesheet = browser.execute_script("return getComputedStyle(document.querySelector('header.top')).backgroundColor")
    assert stylesheet == "rgb(20, 32, 46)"  # the stylesheet loaded under the Content-Security-Policy
    assert shoot(browser, site, "dashboard").stat().st_size > 10_000
    shoot(browser, site, "dashboard-phone", PHONE)
    wide = browser.execute_script("return document.documentElement.scrollWidth")
    assert wide <= DESKTOP[0]
    story = next(link for link in browser.find_elements(By.CSS_SELECTOR, "section.watch a[href^='/stories/']")
                 if "2 article(s)" in link.find_element(By.XPATH, "..").text)
    story.click()
    wait_for(browser, "ol.timeline")
    assert "/stories/" in browser.current_url
    timeline = browser.find_elements(By.CSS_SELECTOR, "ol.timeline li")
    assert len(timeline) == 2 and {li.find_element(By.CSS_SELECTOR, ".outlet").text for li in timeline} == {"chronicle", "wire"}
    assert "followup alert" in browser.find_element(By.TAG_NAME, "main").text
    shoot(browser, site, "story")
    timeline[0].find_element(By.CSS_SELECTOR, "a[href^='/articles/']").click()
    wait_for(browser, "ul.explain")
    assert "MATCH ponomarev" in browser.find_element(By.CSS_SELECTOR, "ul.explain").text
    shoot(browser, site, "article")


def test_search_with_a_filter(browser, site) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(site["base"] + "/search")
    browser.find_element(By.NAME, "q").send_keys("Ponomarev")
    browser.find_element(By.CSS_SELECTOR, "form.search summary").click()
    Select(browser.find_element(By.NAME, "outlet")).select_by_visible_text("wire")
    browser.find_element(By.CSS_SELECTOR, "form.search button").click()
    results = wait_for(browser, "ol.results li mark")
    results = browser.find_elements(By.CSS_SELECTOR, "ol.results li")
    assert "q=Ponomarev" in browser.current_url and "outlet=wire" in browser.current_url
    assert results and all("wire" in r.find_element(By.CSS_SELECTOR, ".muted").text for r in results)
    assert browser.find_elements(By.CSS_SELECTOR, "ol.results mark")
    shoot(browser, site, "search")
    shoot(browser, site, "search-phone", PHONE)


def test_rule_tester_with_an_article_url(browser, site) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site["base"] + "/search?q=Ponomarev&outlet=wire")
    first = browser.find_element(By.CSS_SELECTOR, "ol.results a.title").get_attribute("href")
    browser.get(first)
    url = browser.find_element(By.CSS_SELECTOR, "dl.meta a.ext").get_attribute("href")
    browser.get(site["base"] + "/rules/test")
    field = browser.find_element(By.NAME, "target")
    field.send_keys(url)
    field.submit()
    wait_for(browser, "ul.explain")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "2 watch(es) match" in main and "Outlet: wire" in main and "MATCH ponomarev" in main
    shoot(browser, site, "rule-tester")


def test_alerts_and_outlets_pages(browser, site) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site["base"] + "/alerts")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.alerts .s-sent")) == 10
    shoot(browser, site, "alerts")
    browser.get(site["base"] + "/outlets")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.outlets .h-ok")) == 3
    shoot(browser, site, "outlets")
