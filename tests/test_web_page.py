"""The query page in a real browser: Debian's headless Chromium, through chromedriver."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.live import LiveServer

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="diplokg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,1000")
    # An explicit driver path: Selenium Manager never downloads anything.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: WebDriver, element_id: str) -> WebElement:
    """The element with this id once the page that has it is loaded (the form navigates)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, element_id)))


def test_run_a_query_and_see_the_table(browser: WebDriver, live_server: LiveServer) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(live_server.url + "/sparql")
    area = driver.find_element(By.ID, "query")
    example = area.get_attribute("value")
    assert example is not None
    assert "PREFIX dkg:" in example
    area.clear()
    area.send_keys(
        "PREFIX org: <http://www.w3.org/ns/org#>\n"
        "SELECT ?state WHERE { ?state org:memberOf ?programme } ORDER BY ?state"
    )
    driver.find_element(By.ID, "run").click()
    table = wait_for(driver, "results-table")
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["state"]
    links = table.find_elements(By.CSS_SELECTOR, "tbody td a")
    assert [a.text for a in links] == ["id:azerbaijan", "id:georgia", "id:moldova", "id:ukraine"]
    assert links[0].get_attribute("href") == live_server.url + "/id/azerbaijan"
    assert driver.find_element(By.ID, "count").text == "4"


def test_a_competency_question_runs_from_its_link(
    browser: WebDriver, live_server: LiveServer
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(live_server.url + "/sparql")
    driver.find_element(
        By.LINK_TEXT, "Which states take part in the Partnership for Peace?"
    ).click()
    wait_for(driver, "results-table")
    rows = driver.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")
    assert len(rows) == 4
    assert "Azerbaijan" in rows[0].text


def test_an_error_is_shown_with_the_query_kept(browser: WebDriver, live_server: LiveServer) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(live_server.url + "/sparql")
    area = driver.find_element(By.ID, "query")
    area.clear()
    area.send_keys("SELECT * WHERE { ?s ?p ?o")
    driver.find_element(By.ID, "run").click()
    assert "line 1, column 26" in wait_for(driver, "error").text
    kept = driver.find_element(By.ID, "query").get_attribute("value")
    assert kept == "SELECT * WHERE { ?s ?p ?o"
