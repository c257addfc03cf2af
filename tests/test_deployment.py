"""The README's nginx example, run in front of the real server: pictures pass, big bodies stop at nginx."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from digits.config import PROJECT_ROOT, SAMPLES_DIR
from tests.helpers import free_port, post_file

NGINX = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")


def readme_nginx_config() -> str:
    text = (PROJECT_ROOT / "README.md").read_text()
    marker = text.index("<!-- nginx example")
    return re.search(r"```nginx\n(.*?)```", text[marker:], re.S).group(1)


@pytest.fixture()
def nginx_in_front(live_server, tmp_path):
    if not NGINX:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed; CI must install it (apt-get install nginx-light)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    port = free_port()
    upstream = urlsplit(live_server["url"]).port
    config = readme_nginx_config().replace("127.0.0.1:8001", f"127.0.0.1:{upstream}")
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    (tmp_path / "nginx.conf").write_text(config)
    directives = f"pid {tmp_path}/nginx.pid; daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e",
                                str(tmp_path / "error.log"), "-g", directives], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    stop = time.monotonic() + 20
    while time.monotonic() < stop:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                break
        except OSError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_pictures_are_read_through_nginx_and_big_bodies_stop_there(nginx_in_front):
    status, body = post_file(nginx_in_front + "/api/predict", (SAMPLES_DIR / "pic1.jpg").read_bytes())
    assert status == 200 and body["number"] == "5"
    with urllib.request.urlopen(nginx_in_front + "/", timeout=5) as response:
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    request = urllib.request.Request(nginx_in_front + "/api/predict", data=b"\x00" * (11 * 1024 * 1024),
                                     headers={"Content-Type": "image/png"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 413 and "nginx" in refused.value.read().decode()
