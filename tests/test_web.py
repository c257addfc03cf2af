"""Every route and error through the test client; the samples through the shipped models."""

from __future__ import annotations

import base64
import io

import cv2
import numpy as np
import pytest

from digits.config import SAMPLES_DIR
from digits.web.state import service_of
from tests.helpers import expected_number, png_bytes, stroke_digit


def upload(client, data: bytes, name: str = "digit.png", path: str = "/api/predict", **form):
    return client.post(path, data={"image": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def data_uri(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode()


def test_index_offers_upload_drawing_and_examples(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<input type="file" name="image" id="image" accept="image/*"' in page
    assert '<canvas id="pad"' in page
    assert 'value="pic1.jpg"' in page and 'value="pic2.jpg"' in page
    assert "draw.js" in page and "style.css" in page
    assert "http://" not in page and "https://" not in page  # no CDN: works offline


def test_static_files_and_samples_are_served(client):
    assert client.get("/static/draw.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    response = client.get("/samples/pic1.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert client.get("/samples/..%2Fapi.py").status_code == 404
    assert client.get("/samples/nothing.png").status_code == 404


def test_api_answers_the_contract(client):
    response = upload(client, png_bytes(stroke_digit()))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"number", "text", "digits", "lines", "model"}
    assert body["model"] == "mnist_tiny"
    (digit,) = body["digits"]
    assert set(digit) == {"digit", "confidence", "probabilities", "box", "verdict"}
    assert digit["verdict"] == "unsure"  # the tiny untrained model is sure of nothing
    assert len(digit["probabilities"]) == 10
    assert abs(sum(digit["probabilities"]) - 1) < 1e-3
    assert digit["confidence"] == max(digit["probabilities"])
    assert body["number"] == body["text"] == str(digit["digit"])
    (line,) = body["lines"]
    assert line["text"] == body["text"] and len(line["box"]) == 4
    (number,) = line["numbers"]
    assert number["number"] == body["number"] and number["digits"] == [digit] and len(number["box"]) == 4
    x, y, w, h = digit["box"]
    assert 70 <= x <= 90 and 45 <= y <= 65 and 120 <= w <= 140 and 170 <= h <= 195


def test_api_accepts_a_json_data_uri(client):
    response = client.post("/api/predict", json={"image": data_uri(png_bytes(stroke_digit()))})
    assert response.status_code == 200
    assert len(response.get_json()["digits"]) == 1


def test_health_names_the_model_and_its_accuracy(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["model"] == "mnist_tiny" and body["test_accuracy"] == 0.1


def text_file() -> bytes:
    return b"just some text, not a picture"


API_ERRORS = [
    ("no image field", lambda c: c.post("/api/predict", data={"other": "x"}), 400, "no picture was sent"),
    ("empty body", lambda c: c.post("/api/predict"), 400, "no picture was sent"),
    ("empty file", lambda c: upload(c, b""), 400, "is empty"),
    ("not an image", lambda c: upload(c, text_file(), "notes.png"), 415, "not a picture"),
    ("corrupt png", lambda c: upload(c, png_bytes(stroke_digit())[:300]), 400, "damaged"),
    ("blank page", lambda c: upload(c, png_bytes(np.full((100, 100), 255, np.uint8))), 422, "no digit found"),
    ("json without image", lambda c: c.post("/api/predict", json={"picture": 1}), 400, '"image"'),
    ("json not a data uri", lambda c: c.post("/api/predict", json={"image": "hello"}), 400, "data URI"),
    ("json bad base64", lambda c: c.post("/api/predict", json={"image": "data:image/png;base64,@@@"}),
     400, "base64"),
    ("json not an image type", lambda c: c.post("/api/predict", json={"image": data_uri(b"x", "text/html")}),
     415, "not a picture"),
    ("broken json", lambda c: c.post("/api/predict", data="{", content_type="application/json"), 400,
     '"image"'),
    ("unknown model", lambda c: upload(c, png_bytes(stroke_digit()), path="/api/predict?model=nope"), 400,
     "unknown model"),
    ("wrong method", lambda c: c.get("/api/predict"), 405, ""),
    ("unknown route", lambda c: c.get("/api/nothing"), 404, ""),
]


@pytest.mark.parametrize("case", API_ERRORS, ids=[case[0] for case in API_ERRORS])
def test_api_errors_are_clear_json(client, case):
    _name, send, status, message = case
    response = send(client)
    assert response.status_code == status
    assert response.is_json
    assert message in response.get_json()["error"]
    assert client.get("/healthz").status_code == 200  # still serving


def test_body_over_ten_megabytes_is_a_413(client):
    response = upload(client, b"\x00" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "larger than 10 MB" in response.get_json()["error"]


def test_form_errors_show_the_index_with_the_message(client):
    response = upload(client, text_file(), "<script>alert(1)</script>.png", path="/predict")
    assert response.status_code == 415
    page = response.get_data(as_text=True)
    assert 'id="error"' in page and "not a picture" in page
    assert "<script>alert(1)</script>" not in page
    missing = client.post("/predict", data={})
    assert missing.status_code == 400 and "no picture was sent" in missing.get_data(as_text=True)


def test_user_supplied_file_names_are_escaped(client):
    response = upload(client, png_bytes(stroke_digit()), "<script>alert(1)</script>.png", path="/predict")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.png" in page
    assert "<script>alert(1)</script>" not in page


def test_result_page_shows_number_bars_inputs_and_boxes(client):
    response = upload(client, png_bytes(stroke_digit()), path="/predict")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="number"' in page
    assert page.count('class="bar') >= 10
    assert 'class="model-input" src="data:image/png;base64,' in page
    assert '<image href="data:image/png;base64,' in page and 'class="box' in page
    assert 'id="again"' in page


def test_unsure_readings_say_so(client):
    # The tiny untrained model is never sure of anything.
    page = upload(client, png_bytes(stroke_digit()), path="/predict").get_data(as_text=True)
    assert 'id="unsure"' in page and "not sure" in page


def test_security_headers_on_every_answer(client):
    for response in (client.get("/"), client.get("/healthz"), upload(client, b"")):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_unknown_sample_is_refused(client):
    response = client.post("/predict", data={"sample": "../../etc/passwd"})
    assert response.status_code == 400 and "no example called" in response.get_data(as_text=True)


# ---------------------------------------------------------------- with the shipped models


SAMPLES = sorted(path.name for path in SAMPLES_DIR.iterdir())


def test_samples_include_a_photo_a_drawing_and_a_number():
    assert {"pic1.jpg", "pic2.jpg"} <= set(SAMPLES)
    assert any(name.startswith("photo_") for name in SAMPLES)
    assert any(name.startswith("drawing_") for name in SAMPLES)
    assert any(name.startswith("number_") and len(expected_number(name)) > 1 for name in SAMPLES)


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_are_read_through_the_api_and_the_form(shipped_client, name):
    digit = expected_number(name)
    data = (SAMPLES_DIR / name).read_bytes()
    assert upload(shipped_client, data, name).get_json()["number"] == digit
    page = shipped_client.post("/predict", data={"sample": name}).get_data(as_text=True)
    assert f'<p class="number" id="number">{digit}</p>' in page
    page = upload(shipped_client, data, name, path="/predict").get_data(as_text=True)
    assert f'<p class="number" id="number">{digit}</p>' in page


def test_transparent_canvas_drawing_reads_as_the_digit_drawn(shipped_client):
    canvas = np.zeros((280, 280, 4), np.uint8)  # black strokes on a transparent background
    cv2.line(canvas, (90, 60), (190, 60), (0, 0, 0, 255), 20, cv2.LINE_AA)
    cv2.line(canvas, (190, 60), (120, 230), (0, 0, 0, 255), 20, cv2.LINE_AA)
    response = shipped_client.post("/api/predict", json={"image": data_uri(png_bytes(canvas))})
    assert response.get_json()["number"] == "7"


@pytest.mark.parametrize("model", ["dense", "cnn"])
def test_model_can_be_chosen_per_request(shipped_app, shipped_client, model):
    if model not in service_of(shipped_app).classifiers:
        pytest.skip(f"model {model} is not shipped")
    data = (SAMPLES_DIR / "pic1.jpg").read_bytes()
    body = upload(shipped_client, data, path=f"/api/predict?model={model}").get_json()
    assert body["model"] == f"mnist_{model}" and body["number"] == "5"


def test_the_most_accurate_shipped_model_serves_by_default(shipped_app):
    import json

    from digits.config import card_path

    accuracies = {name: json.loads(card_path(name).read_text())["test_accuracy"]
                  for name in service_of(shipped_app).classifiers}
    assert service_of(shipped_app).default_model == max(accuracies, key=accuracies.get)


def test_a_page_of_several_lines_and_numbers_is_shown_line_by_line_with_boxes(client):
    page = np.full((300, 520), 255, np.uint8)
    for top, lefts in ((30, (40, 90, 300, 350)), (170, (40, 90, 140))):
        for x in lefts:
            cv2.line(page, (x, top), (x + 6, top + 80), 0, 10)
    body = upload(client, png_bytes(page)).get_json()
    assert [[len(number["digits"]) for number in line["numbers"]] for line in body["lines"]] == [[2, 2], [3]]
    assert body["text"].count("\n") == 1 and body["text"].split("\n")[0].count(" ") == 1
    assert len(body["number"]) == len(body["digits"]) == 7
    html = upload(client, png_bytes(page), path="/predict").get_data(as_text=True)
    assert 'id="text"' in html and html.count('class="line"') == 2
    assert html.count('class="number-box"') == 3 and html.count('class="box') == 7


def test_json_nested_a_hundred_thousand_deep_is_a_clear_400(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/predict", data=body, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.get_json()["error"]


def test_a_wrong_method_says_which_methods_are_allowed(client):
    response = client.get("/api/predict")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert response.is_json


def test_too_many_form_parts_is_not_called_too_large(client):
    fields = {f"field{index}": "x" for index in range(1200)}  # werkzeug's limit is 1,000 parts
    response = client.post("/api/predict", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "too many fields" in response.get_json()["error"] and "MB" not in response.get_json()["error"]


def test_an_mpo_photo_reads_like_its_jpeg_twin(shipped_client):
    from PIL import Image

    jpeg = (SAMPLES_DIR / "photo_4.jpg").read_bytes()
    first = Image.open(io.BytesIO(jpeg)).convert("RGB")
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[first.rotate(90)], quality=95)
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    from_jpeg = upload(shipped_client, jpeg, "photo_4.jpg").get_json()
    from_mpo = upload(shipped_client, buffer.getvalue(), "photo_4.mpo.jpg").get_json()
    assert from_mpo["number"] == from_jpeg["number"] == "4"
    assert from_mpo["digits"][0]["box"] == from_jpeg["digits"][0]["box"]
