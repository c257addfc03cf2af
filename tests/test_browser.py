"""A real headless Chromium against the real server: upload, draw (mouse and touch), errors."""

from __future__ import annotations

import os
import shutil

import pytest

from digits.config import SAMPLES_DIR
from tests.helpers import ARTIFACTS

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        reason = "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI must install them")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1200,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def shot(driver, name: str) -> None:
    """Keep a screenshot of what the page showed, as a test artifact."""
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def read_number(driver) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.ID, "number")))
    return driver.find_element(By.ID, "number").text


def test_upload_a_sample_shows_five(browser, live_server):
    from selenium.webdriver.common.by import By

    browser.get(live_server["url"] + "/")
    browser.find_element(By.ID, "image").send_keys(str(SAMPLES_DIR / "pic1.jpg"))
    browser.find_element(By.ID, "upload-button").click()
    assert read_number(browser) == "5"
    assert browser.find_elements(By.CSS_SELECTOR, "img.model-input")
    shot(browser, "upload_pic1")


def test_example_button_reads_zero(browser, live_server):
    from selenium.webdriver.common.by import By

    browser.get(live_server["url"] + "/")
    browser.find_element(By.CSS_SELECTOR, 'button.sample[value="pic2.jpg"]').click()
    assert read_number(browser) == "0"


def draw_seven(browser, pointer_kind: str) -> None:
    """Draw a 7 on the pad with real pointer input of the given kind (mouse or touch)."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput
    from selenium.webdriver.common.by import By

    pad = browser.find_element(By.ID, "pad")
    rect = browser.execute_script("var r = arguments[0].getBoundingClientRect();"
                                  "return [r.left, r.top];", pad)
    left, top = int(rect[0]), int(rect[1])
    builder = ActionBuilder(browser, mouse=PointerInput(pointer_kind, pointer_kind))
    pointer = builder.pointer_action
    points = [(80, 60), (130, 60), (200, 60), (180, 110), (160, 160), (140, 210), (125, 240)]
    pointer.move_to_location(left + points[0][0], top + points[0][1])
    pointer.pointer_down()
    for x, y in points[1:]:
        pointer.move_to_location(left + x, top + y)
    pointer.pointer_up()
    builder.perform()


@pytest.mark.parametrize("pointer_kind", ["mouse", "touch"])
def test_drawing_on_the_canvas_is_read(browser, live_server, pointer_kind):
    from selenium.webdriver.common.by import By

    browser.get(live_server["url"] + "/")
    scroll_before = browser.execute_script("return window.scrollY")
    draw_seven(browser, pointer_kind)
    assert browser.execute_script("return window.scrollY") == scroll_before  # no scrolling
    shot(browser, f"drawing_{pointer_kind}")
    browser.find_element(By.ID, "send-drawing").click()
    assert read_number(browser) == "7"
    shot(browser, f"drawing_{pointer_kind}_result")


def test_sending_an_empty_pad_asks_for_a_drawing(browser, live_server):
    from selenium.webdriver.common.by import By

    browser.get(live_server["url"] + "/")
    browser.find_element(By.ID, "send-drawing").click()
    assert browser.find_element(By.ID, "draw-hint").is_displayed()
    assert browser.current_url.rstrip("/") == live_server["url"]


def test_an_error_shows_its_message(browser, live_server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    fake = tmp_path / "notes <b>bold.png"
    fake.write_text("<html><script>alert('x')</script></html>")
    browser.get(live_server["url"] + "/")
    browser.find_element(By.ID, "image").send_keys(str(fake))
    browser.find_element(By.ID, "upload-button").click()
    # The click starts a page load; the answer page is read once it has arrived.
    error = WebDriverWait(browser, 20).until(
        expected_conditions.presence_of_element_located((By.ID, "error")))
    assert "not a picture" in error.text
    shot(browser, "error_not_a_picture")
