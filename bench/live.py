"""The live reading's round trip in a real browser: pen up -> JSON -> reading on screen, in milliseconds.

Run: python bench/live.py [--strokes 40]
Starts the server as the README does and Debian's headless Chromium, draws strokes on the pad
with real pointer input, and reads the page's own timings (performance.now() from the moment
the drawing is taken, after the 80 ms pause that gathers quick strokes, to the reading drawn).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time

from common import start_server, stop_server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=40)
    args = parser.parse_args()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run", "--window-size=1366,900"):
        options.add_argument(flag)
    process, port, _startup = start_server()
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        pad = driver.find_element(By.ID, "pad")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", pad)
        left, top = driver.execute_script("var r = arguments[0].getBoundingClientRect(); return [r.left, r.top];", pad)
        for stroke in range(args.strokes):
            if stroke % 4 == 0:
                driver.find_element(By.ID, "clear").click()
            readings = driver.execute_script("return window.digitsLive.readings")
            x = 60 + 45 * (stroke % 4)
            builder = ActionBuilder(driver, mouse=PointerInput("mouse", "mouse"))
            builder.pointer_action.move_to_location(int(left) + x, int(top) + 50).pointer_down()
            builder.pointer_action.move_to_location(int(left) + x + 10, int(top) + 230).pointer_up()
            builder.perform()
            stop = time.monotonic() + 5
            while driver.execute_script("return window.digitsLive.readings") <= readings and time.monotonic() < stop:
                time.sleep(0.01)
        timings = driver.execute_script("return window.digitsLive.timings")
    finally:
        driver.quit()
        stop_server(process)
    timings = sorted(timings)
    print(f"{len(timings)} live readings: round trip p50 {statistics.median(timings):.1f} ms, "
          f"p90 {timings[int(0.9 * (len(timings) - 1))]:.1f} ms, slowest {timings[-1]:.1f} ms (target p50 <= 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
