"""A real headless Chromium against the real server: upload, draw, read live, undo, drop, paste, models, a11y."""

from __future__ import annotations

import os
import shutil
import statistics

import pytest

from digits.config import SAMPLES_DIR
from tests.helpers import ARTIFACTS

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
DESKTOP = (1366, 900)
PHONE = {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": True}


def start_browser(phone: bool = False):
    """Start headless Chromium at a desktop's size, or emulating a phone with touch."""
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
                 "--no-first-run", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(flag)
    if phone:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = start_browser()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def phone():
    driver = start_browser(phone=True)
    yield driver
    driver.quit()


def shot(driver, name: str) -> None:
    """Keep a screenshot of what the page showed, as a test artifact."""
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def wait_for(driver, condition, seconds: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(lambda _driver: condition())


def read_number(driver) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.ID, "number")))
    return driver.find_element(By.ID, "number").text


def by_id(driver, element_id: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def open_index(driver, url: str) -> None:
    """Open the start page with no remembered model, the pad in view, and a mark that a reload would lose."""
    driver.get(url + "/")
    driver.execute_script("window.localStorage.clear();")
    driver.get(url + "/")
    driver.execute_script("window.sameDocument = true;"
                          "document.getElementById('pad').scrollIntoView({block: 'center'});")


SEVEN = [(80, 60), (130, 60), (200, 60), (180, 110), (160, 160), (140, 210), (125, 240)]


def draw(driver, points, pointer_kind: str = "mouse") -> None:
    """Draw one stroke through ``points`` (pad pixels) with real pointer input of the given kind."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    pad = by_id(driver, "pad")
    left, top = driver.execute_script("var r = arguments[0].getBoundingClientRect(); return [r.left, r.top];", pad)
    builder = ActionBuilder(driver, mouse=PointerInput(pointer_kind, pointer_kind))
    pointer = builder.pointer_action
    pointer.move_to_location(int(left) + points[0][0], int(top) + points[0][1])
    pointer.pointer_down()
    for x, y in points[1:]:
        pointer.move_to_location(int(left) + x, int(top) + y)
    pointer.pointer_up()
    builder.perform()


def live_text(driver) -> str:
    return by_id(driver, "live-text").text


# ---------------------------------------------------------------- uploads, examples, the full result page


def test_upload_a_sample_shows_five(browser, live_server):
    open_index(browser, live_server["url"])
    by_id(browser, "image").send_keys(str(SAMPLES_DIR / "pic1.jpg"))
    assert by_id(browser, "preview").is_displayed()  # seen before it is sent
    by_id(browser, "upload-button").click()
    assert read_number(browser) == "5"
    from selenium.webdriver.common.by import By

    assert browser.find_elements(By.CSS_SELECTOR, "img.model-input")
    shot(browser, "upload_pic1")


def test_example_button_reads_zero(browser, live_server):
    from selenium.webdriver.common.by import By

    open_index(browser, live_server["url"])
    browser.find_element(By.CSS_SELECTOR, 'button.sample[value="pic2.jpg"]').click()
    assert read_number(browser) == "0"


@pytest.mark.parametrize("pointer_kind", ["mouse", "touch"])
def test_drawing_on_the_canvas_is_read(browser, live_server, pointer_kind):
    open_index(browser, live_server["url"])
    scroll_before = browser.execute_script("return window.scrollY")
    draw(browser, SEVEN, pointer_kind)
    assert browser.execute_script("return window.scrollY") == scroll_before  # no scrolling while drawing
    shot(browser, f"drawing_{pointer_kind}")
    by_id(browser, "send-drawing").click()
    assert read_number(browser) == "7"
    shot(browser, f"drawing_{pointer_kind}_result")


def test_sending_an_empty_pad_asks_for_a_drawing(browser, live_server):
    open_index(browser, live_server["url"])
    by_id(browser, "send-drawing").click()
    assert by_id(browser, "draw-hint").is_displayed()
    assert by_id(browser, "draw-hint").get_attribute("role") == "alert"  # announced
    assert browser.current_url.rstrip("/") == live_server["url"]


def test_an_error_shows_its_message(browser, live_server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    fake = tmp_path / "notes <b>bold.png"
    fake.write_text("<html><script>alert('x')</script></html>")
    open_index(browser, live_server["url"])
    by_id(browser, "image").send_keys(str(fake))
    by_id(browser, "upload-button").click()
    # The click starts a page load; the answer page is read once it has arrived.
    error = WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, "error")))
    assert "not a picture" in error.text
    shot(browser, "error_not_a_picture")


def test_a_result_page_cannot_be_reloaded_into_an_error(browser, live_server):
    browser.get(live_server["url"] + "/predict?model=dense")
    assert browser.current_url.endswith("/?model=dense") and by_id(browser, "model").get_attribute("value") == "dense"


# ---------------------------------------------------------------- live reading while drawing


def test_a_drawn_seven_is_read_live_within_a_second_without_leaving_the_page(browser, live_server):
    open_index(browser, live_server["url"])
    draw(browser, SEVEN)
    wait_for(browser, lambda: "7" in live_text(browser), seconds=1.0)
    assert browser.execute_script("return window.sameDocument === true")  # no navigation happened
    from selenium.webdriver.common.by import By

    assert browser.find_elements(By.CSS_SELECTOR, "#live-digits img")  # the 28x28 input is shown
    assert len(browser.find_elements(By.CSS_SELECTOR, "#live-digits .mini-bars span")) == 10
    shot(browser, "desktop_live_reading")


def test_undo_takes_back_the_last_stroke_and_reads_again(browser, live_server):
    open_index(browser, live_server["url"])
    draw(browser, [(140, 40), (140, 240)])  # a 1 ...
    wait_for(browser, lambda: live_text(browser).startswith("Read:"))
    draw(browser, [(60, 140), (230, 140)])  # ... crossed: no longer a 1
    readings = browser.execute_script("return window.digitsLive.readings")
    wait_for(browser, lambda: browser.execute_script("return window.digitsLive.readings") > readings)
    inked = "var d = document.getElementById('pad').getContext('2d').getImageData(0, 0, 280, 280).data;" \
            "var n = 0; for (var i = 3; i < d.length; i += 4) { if (d[i] > 40) n++; } return n;"
    crossed = browser.execute_script(inked)
    from selenium.webdriver.common.keys import Keys

    readings = browser.execute_script("return window.digitsLive.readings")
    by_id(browser, "pad").send_keys(Keys.CONTROL, "z")
    assert browser.execute_script(inked) < crossed
    wait_for(browser, lambda: browser.execute_script("return window.digitsLive.readings") > readings)
    assert live_text(browser) == "Read: 1"
    by_id(browser, "undo").click()
    assert browser.execute_script(inked) == 0


def test_a_small_digit_gets_a_warning(browser, live_server):
    open_index(browser, live_server["url"])
    draw(browser, [(30, 30), (50, 30), (42, 70)])  # a 7 in a corner, a sixth of the pad
    wait_for(browser, lambda: by_id(browser, "live-warning").is_displayed())
    assert "larger" in by_id(browser, "live-warning").text


# ---------------------------------------------------------------- drop, paste, model choice


PUT_SAMPLE = """
var done = arguments[arguments.length - 1];
fetch('/samples/' + arguments[0]).then(r => r.blob()).then(function (blob) {
  var transfer = new DataTransfer();
  transfer.items.add(new File([blob], arguments[0] || 'dropped.jpg', {type: 'image/jpeg'}));
  window.transfer = transfer;
  done(true);
});
"""


def test_a_file_dropped_on_the_panel_is_read(browser, live_server):
    open_index(browser, live_server["url"])
    browser.execute_async_script(PUT_SAMPLE, "pic1.jpg")
    browser.execute_script("var form = document.getElementById('upload-form');"
                           "form.dispatchEvent(new DragEvent('dragover', {dataTransfer: window.transfer, bubbles: true,"
                           " cancelable: true}));"
                           "form.dispatchEvent(new DragEvent('drop', {dataTransfer: window.transfer, bubbles: true,"
                           " cancelable: true}));")
    wait_for(browser, lambda: by_id(browser, "preview").is_displayed())
    assert browser.execute_script("return document.getElementById('image').files.length") == 1
    by_id(browser, "upload-button").click()
    assert read_number(browser) == "5"


def test_a_pasted_picture_is_read(browser, live_server):
    open_index(browser, live_server["url"])
    browser.execute_async_script(PUT_SAMPLE, "pic2.jpg")
    browser.execute_script("document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: window.transfer,"
                           " bubbles: true, cancelable: true}));")
    wait_for(browser, lambda: by_id(browser, "preview").is_displayed())
    by_id(browser, "upload-button").click()
    assert read_number(browser) == "0"


def test_the_model_chosen_once_serves_the_examples_and_stays_after_trying_again(browser, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_index(browser, live_server["url"])
    choice = Select(by_id(browser, "model"))
    assert "dense: the dense network" in [option.text.split(",")[0] for option in choice.options]
    choice.select_by_value("dense")
    browser.find_element(By.CSS_SELECTOR, 'button.sample[value="pic1.jpg"]').click()
    assert read_number(browser) == "5" and by_id(browser, "model").text == "mnist_dense"
    by_id(browser, "again").click()
    wait_for(browser, lambda: by_id(browser, "model").get_attribute("value") == "dense")
    assert browser.find_element(By.CSS_SELECTOR, "#upload-form .model-field").get_attribute("value") == "dense"


# ---------------------------------------------------------------- accessibility and screenshots


A11Y_FINDINGS = """
var problems = [];
var headings = Array.from(document.querySelectorAll('h1, h2, h3, h4'));
if (!headings.length || headings[0].tagName !== 'H1') problems.push('the first heading is not an h1');
if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
headings.reduce(function (previous, heading) {
  var level = Number(heading.tagName[1]);
  if (level > previous + 1) problems.push('heading level skips to ' + heading.tagName + ': ' + heading.textContent);
  return level;
}, 0);
function nameOf(element) {
  if (element.getAttribute('aria-label')) return element.getAttribute('aria-label');
  var by = element.getAttribute('aria-labelledby');
  if (by) return by.split(' ').map(function (id) {
    var e = document.getElementById(id); return e ? e.textContent : ''; }).join(' ');
  if (element.id) {
    var label = document.querySelector('label[for="' + element.id + '"]'); if (label) return label.textContent; }
  if (element.closest('label')) return element.closest('label').textContent;
  return element.tagName === 'BUTTON' || element.tagName === 'A' ? element.textContent : '';
}
document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href], canvas').forEach(function (e) {
  if (!nameOf(e).trim()) problems.push('no accessible name: ' + e.outerHTML.slice(0, 80));
});
var names = {};
document.querySelectorAll('button').forEach(function (b) {
  var name = nameOf(b).replace(/\\s+/g, ' ').trim();
  if (names[name]) problems.push('two buttons named ' + name); names[name] = true;
});
document.querySelectorAll('img').forEach(function (i) {
  if (!i.hasAttribute('alt')) problems.push('img without alt'); });
if (!document.querySelector('[aria-live], [role=status], [role=alert]')) problems.push('no live region');
if (document.getElementById('pad').tabIndex < 0) problems.push('the pad cannot be reached by keyboard');
return problems;
"""


def contrast(first: tuple, second: tuple) -> float:
    def luminance(rgb):
        channels = [value / 255 for value in rgb]
        channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def rgb_of(css: str) -> tuple:
    return tuple(int(float(part)) for part in css[css.index("(") + 1:css.index(")")].split(",")[:3])


@pytest.mark.parametrize("page", ["index", "result"])
def test_the_pages_pass_the_accessibility_checks(browser, live_server, page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_index(browser, live_server["url"])
    if page == "result":
        browser.find_element(By.CSS_SELECTOR, 'button.sample[value="number_2026.jpg"]').click()
        read_number(browser)
    assert browser.execute_script(A11Y_FINDINGS.replace("document.getElementById('pad').tabIndex < 0",
                                                        "false" if page == "result" else
                                                        "document.getElementById('pad').tabIndex < 0")) == []
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # keyboard focus on the first control: its outline must stand out
    outline = browser.execute_script("var s = getComputedStyle(document.activeElement);"
                                     "return [s.outlineStyle, s.outlineWidth, s.outlineColor];")
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2
    assert contrast(rgb_of(outline[2]), (255, 255, 255)) >= 3


def test_screenshots_of_the_pages_on_desktop_and_phone(browser, phone, live_server):
    from selenium.webdriver.common.by import By

    for driver, device in ((browser, "desktop"), (phone, "phone")):
        open_index(driver, live_server["url"])
        shot(driver, f"{device}_index_empty")
        draw(driver, SEVEN, "touch" if device == "phone" else "mouse")
        wait_for(driver, lambda driver=driver: "7" in live_text(driver))
        shot(driver, f"{device}_index_live_reading")
        driver.find_element(By.CSS_SELECTOR, 'button.sample[value="number_2026.jpg"]').click()
        assert read_number(driver) == "2026"
        shot(driver, f"{device}_result")
    for name in ("desktop_index_empty", "desktop_index_live_reading", "desktop_result", "phone_index_live_reading"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


def test_live_readings_round_trip_is_measured_in_the_browser(browser, live_server):
    open_index(browser, live_server["url"])
    for offset in range(0, 50, 10):
        readings = browser.execute_script("return window.digitsLive.readings")
        draw(browser, [(100 + offset, 50), (110 + offset, 230)])
        wait_for(browser, lambda seen=readings: browser.execute_script("return window.digitsLive.readings") > seen)
    timings = browser.execute_script("return window.digitsLive.timings")
    assert len(timings) >= 5 and statistics.median(timings) < 1000  # the figure to report lives in bench/live.py
