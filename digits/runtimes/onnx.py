"""The ONNX runtime: the .h5 exported to ONNX (``model/mnist_<name>.onnx``) and run by ONNX Runtime.

ONNX is the portable serving format: the same file runs here, in a browser, or behind a
standard inference server (ONNX Runtime server, Triton). ``from_model`` exports the Keras
model, checks that ONNX Runtime gives Keras' probabilities on the check pictures (the trainer
passes the whole test set), and writes a note beside it (``.onnx.json``) with the SHA-256 of
the .h5 and of the .onnx and the largest difference measured; a file whose note names another
.h5, or whose bytes changed, is made again. Serving needs neither TensorFlow nor its 700 MB.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from digits.files import file_sha256, write_atomically
from digits.runtimes.checks import check_batch, input_shape, keras_probabilities, largest_difference

# Threads ONNX Runtime may use inside one call: 2 halve a call's time on this 2-core machine
# (0.19 ms against 0.31 ms for one CNN picture); DIGITS_ONNX_THREADS overrides it (api.py sets
# 1 when it runs a process per core).
INTRA_OP_THREADS = 2


def intra_op_threads() -> int:
    """Return how many threads one model call may use: DIGITS_ONNX_THREADS, else INTRA_OP_THREADS."""
    return max(1, int(os.environ.get("DIGITS_ONNX_THREADS", INTRA_OP_THREADS)))


def onnx_path(h5_path: Path) -> Path:
    """Return the ONNX file's path beside an .h5 (model/mnist_cnn.h5 -> model/mnist_cnn.onnx)."""
    return Path(h5_path).with_suffix(".onnx")


def onnx_note_path(h5_path: Path) -> Path:
    """Return the path of the note that ties an ONNX file to the .h5 it came from."""
    return Path(h5_path).with_suffix(".onnx.json")


def export_onnx(model) -> bytes:
    """Return ``model`` exported to ONNX (Keras' own exporter), as bytes."""
    model(np.zeros((1, *(96 if side is None else side for side in input_shape(model))), np.float32),
          training=False)  # Keras exports a loaded model only once it has run
    # The converter logs each op it cannot convert; the RuntimeError below says it once.
    logging.getLogger("tf2onnx").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="digits-onnx-") as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the converter's own NumPy 2 notices
        path = Path(folder) / "model.onnx"
        model.export(str(path), format="onnx", verbose=False)
        return path.read_bytes()


class OnnxNet:
    """Runs an ONNX model with ONNX Runtime: NHWC float32 batches in, probabilities out (thread-safe)."""

    def __init__(self, data: bytes):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = intra_op_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Threads spin within a call (fast hand-offs: 0.19 ms for one CNN picture, 0.28 ms asleep)
        # but not after it: left spinning, they took the core OpenCV's next step needed and doubled
        # a 1200x900 photo's p50 (24 ms against 12 ms).
        options.add_session_config_entry("session.force_spinning_stop", "1")
        self._session = onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Return the model's outputs for a float32 batch."""
        return self._session.run(None, {self._input: np.ascontiguousarray(batch, dtype=np.float32)})[0]


class OnnxRuntime:
    """The .onnx beside the .h5, run by ONNX Runtime (see the module's docstring)."""

    name = "onnx"
    title = "ONNX Runtime"
    best_batch = 64  # its time per picture keeps falling up to about 64 here, then flattens
    derived = True

    def from_model(self, model, h5_path: Path, pictures: np.ndarray | None = None) -> OnnxNet:
        """Export ``model`` beside ``h5_path`` after checking that ONNX Runtime gives its answers."""
        pictures = check_batch(shape=input_shape(model)) if pictures is None else np.asarray(pictures, np.float32)
        try:
            data = export_onnx(model)
            net = OnnxNet(data)
        except Exception as error:  # noqa: BLE001 - a model that cannot be exported is served by Keras
            raise RuntimeError(f"the model cannot be exported to ONNX "
                               f"({str(error).strip().splitlines()[-1][:200]})") from error
        from_onnx = np.concatenate([net(pictures[start:start + 256]) for start in range(0, len(pictures), 256)])
        difference = largest_difference(self.title, from_onnx, keras_probabilities(model, pictures))
        note = {"source": Path(h5_path).name, "source_sha256": file_sha256(h5_path),
                "onnx_sha256": hashlib.sha256(data).hexdigest(),
                "checked_pictures": int(len(pictures)), "largest_difference": difference}
        try:
            write_atomically(onnx_path(h5_path), data)
            write_atomically(onnx_note_path(h5_path), (json.dumps(note, indent=2) + "\n").encode())
        except OSError:
            pass  # a read-only model folder still serves; the file is made again at each start
        return net

    def load_current(self, h5_path: Path) -> OnnxNet | None:
        """Return the ONNX model of ``h5_path`` ready to run, or None if it is missing or stale."""
        model_file, note_file = onnx_path(h5_path), onnx_note_path(h5_path)
        if not model_file.exists() or not note_file.exists():
            return None
        try:
            note = json.loads(note_file.read_text())
        except ValueError:
            return None
        data = model_file.read_bytes()
        # Only the file that was checked: an edited or damaged one is made again, never read.
        if (note.get("source_sha256") != file_sha256(h5_path)
                or note.get("onnx_sha256") != hashlib.sha256(data).hexdigest()):
            return None
        return OnnxNet(data)

    def export_note(self, h5_path: Path) -> dict:
        """Return what the model card records of the ONNX file: its name and how close it came to Keras."""
        note = json.loads(onnx_note_path(h5_path).read_text())
        return {"runtime": self.name, "file": onnx_path(h5_path).name,
                "largest_difference": note["largest_difference"], "checked_pictures": note["checked_pictures"]}


RUNTIME = OnnxRuntime()
