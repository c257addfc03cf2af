"""The OpenCV runtime: the .h5 frozen into a TensorFlow graph that OpenCV's dnn module runs.

``from_model`` freezes the model into ``model/mnist_<name>.pb``, runs it in a child process, and
writes a note beside it (``.pb.json``) with the SHA-256 of the .h5 and of the graph, the OpenCV
version that checked it, Keras' answers on the check batch and the largest probability
difference measured. A graph whose note names another .h5, or whose bytes changed, is rebuilt;
one checked by another OpenCV version is checked again in a child before it is read in-process.
Serving through OpenCV needs neither TensorFlow's 5 s import nor its 700 MB.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import cv2
import numpy as np

from digits.config import IMAGE_SIDE, PROJECT_ROOT
from digits.files import file_sha256, write_atomically
from digits.runtimes.base import BATCH_BUCKETS
from digits.runtimes.checks import check_batch, keras_probabilities, largest_difference

CHECK_SECONDS = 300


def graph_path(h5_path: Path) -> Path:
    """Return the frozen graph's path beside an .h5 (model/mnist_cnn.h5 -> model/mnist_cnn.pb)."""
    return Path(h5_path).with_suffix(".pb")


def graph_note_path(h5_path: Path) -> Path:
    """Return the path of the note that ties a frozen graph to the .h5 it came from."""
    return Path(h5_path).with_suffix(".pb.json")


def freeze(model) -> bytes:
    """Return ``model``'s inference graph, weights folded in as constants, as GraphDef bytes."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    spec = tf.TensorSpec([None, IMAGE_SIDE, IMAGE_SIDE, 1], tf.float32, name="image")
    concrete = tf.function(lambda batch: model(batch, training=False)).get_concrete_function(spec)
    return convert_variables_to_constants_v2(concrete).graph.as_graph_def().SerializeToString()


class OpenCVNet:
    """Runs a frozen graph with cv2.dnn: NHWC float32 batches in, probabilities out.

    One net per batch size, because cv2.dnn re-plans its buffers whenever the input shape
    changes; a lock per net, because a cv2.dnn net must not run in two threads at once.
    """

    def __init__(self, graph: bytes):
        self._graph = np.frombuffer(graph, np.uint8)
        self._nets: dict[int, tuple[object, threading.Lock]] = {}
        self._nets_lock = threading.Lock()
        self._net_for(1)  # fail here, not on the first request, if OpenCV cannot read the graph

    def _net_for(self, size: int):
        with self._nets_lock:
            if size not in self._nets:
                # The classic engine: a fifth faster here than the new one on these small nets.
                net = cv2.dnn.readNetFromTensorflow(self._graph, np.zeros(0, np.uint8), cv2.dnn.ENGINE_CLASSIC)
                self._nets[size] = (net, threading.Lock())
            return self._nets[size]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """Return (n, classes) probabilities for an (n, 28, 28, 1) float32 batch."""
        net, lock = self._net_for(len(batch))
        # cv2.dnn takes NCHW; with one channel that is the same memory, so a view will do.
        blob = np.ascontiguousarray(batch, dtype=np.float32).reshape(len(batch), 1, IMAGE_SIDE, IMAGE_SIDE)
        with lock:
            net.setInput(blob)
            output = net.forward()
        return output.reshape(len(batch), -1)


def run_graph_in_child(graph: bytes, pictures: np.ndarray) -> np.ndarray:
    """Return OpenCV's probabilities for ``pictures``, computed in a separate process.

    OpenCV's graph reader can crash the whole process on a graph it does not understand
    (seen: a segmentation fault), so a graph is first tried where a crash costs nothing.
    Each size of BATCH_BUCKETS runs once (so none can fail later) on the first pictures; then all run in 256s.
    """
    with tempfile.TemporaryDirectory(prefix="digits-graph-") as folder:
        work = Path(folder)
        (work / "graph.pb").write_bytes(graph)
        np.save(work / "pictures.npy", pictures)
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        try:
            result = subprocess.run([sys.executable, "-m", "digits.runtimes.opencv", str(work)],
                                    capture_output=True, text=True, timeout=CHECK_SECONDS, cwd=PROJECT_ROOT, env=env)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"OpenCV took over {CHECK_SECONDS} s on the check pictures") from None
        if result.returncode < 0:
            raise RuntimeError(f"OpenCV crashed on this model (signal {-result.returncode})")
        if result.returncode != 0:
            lines = (result.stderr or "no message").strip().splitlines()
            raise RuntimeError(f"OpenCV failed on this model ({lines[-1][:200]})")
        return np.load(work / "probabilities.npy")


def _child_main(folder: str) -> int:
    """Entry point of the child process of run_graph_in_child."""
    work = Path(folder)
    net = OpenCVNet((work / "graph.pb").read_bytes())
    pictures = np.load(work / "pictures.npy")
    for size in BATCH_BUCKETS:
        net(np.resize(pictures, (size, *pictures.shape[1:])))
    outputs = [net(pictures[start:start + 256]) for start in range(0, len(pictures), 256)]
    np.save(work / "probabilities.npy", np.concatenate(outputs))
    return 0


class OpenCVRuntime:
    """The frozen graph beside the .h5, run by cv2.dnn (see the module's docstring)."""

    name = "opencv"
    title = "OpenCV"
    # Its time per picture is lowest in batches of 4 to 8 here and grows past 64 (cache misses).
    best_batch = 8
    derived = True

    def from_model(self, model, h5_path: Path, pictures: np.ndarray | None = None) -> OpenCVNet:
        """Freeze ``model`` beside ``h5_path`` after checking, in a child, that OpenCV gives its answers."""
        pictures = check_batch() if pictures is None else np.asarray(pictures, np.float32)
        try:
            graph = freeze(model)
        except Exception as error:  # noqa: BLE001 - a model TensorFlow cannot freeze is served by Keras
            raise RuntimeError(f"the model cannot be frozen ({str(error).strip().splitlines()[-1][:200]})") from error
        difference = largest_difference(self.title, run_graph_in_child(graph, pictures),
                                        keras_probabilities(model, pictures))
        note = {"source": Path(h5_path).name, "source_sha256": file_sha256(h5_path),
                "graph_sha256": hashlib.sha256(graph).hexdigest(),
                "checked_pictures": int(len(pictures)), "largest_difference": difference,
                "opencv": cv2.__version__,
                # Keras' answers on the check batch: a later OpenCV is checked against them in a child.
                "check_probabilities": [[round(float(value), 8) for value in row]
                                        for row in keras_probabilities(model, check_batch())]}
        try:
            write_atomically(graph_path(h5_path), graph)
            _write_note(h5_path, note)
        except OSError:
            pass  # a read-only model folder still serves; the graph is rebuilt at each start
        return OpenCVNet(graph)

    def load_current(self, h5_path: Path) -> OpenCVNet | None:
        """Return the frozen graph of ``h5_path`` ready to run, or None if it is missing or stale."""
        graph_file, note_file = graph_path(h5_path), graph_note_path(h5_path)
        if not graph_file.exists() or not note_file.exists():
            return None
        try:
            note = json.loads(note_file.read_text())
        except ValueError:
            return None
        graph = graph_file.read_bytes()
        # Only the graph that was checked: an edited or damaged one is rebuilt, never read.
        if (note.get("source_sha256") != file_sha256(h5_path)
                or note.get("graph_sha256") != hashlib.sha256(graph).hexdigest()):
            return None
        if note.get("opencv") != cv2.__version__ and not _recheck(graph, note, h5_path):
            return None
        return OpenCVNet(graph)

    def export_note(self, h5_path: Path) -> dict:
        """Return what the model card records of the graph: its file and how close it came to Keras."""
        note = json.loads(graph_note_path(h5_path).read_text())
        return {"runtime": self.name, "graph": graph_path(h5_path).name,
                "largest_difference": note["largest_difference"], "checked_pictures": note["checked_pictures"]}


def _recheck(graph: bytes, note: dict, h5_path: Path) -> bool:
    """Check a graph checked by another OpenCV version again, in a child; on success, note this version."""
    expected = note.get("check_probabilities")
    if expected is None:
        return False
    try:
        largest_difference("OpenCV", run_graph_in_child(graph, check_batch()), np.asarray(expected, np.float32))
    except RuntimeError:
        return False
    try:
        _write_note(h5_path, {**note, "opencv": cv2.__version__})
    except OSError:
        pass  # a read-only model folder: checked again at the next start
    return True


def _write_note(h5_path: Path, note: dict) -> None:
    # Indented for people, with the check batch's answers one picture per line.
    rows = note.get("check_probabilities", [])
    head = json.dumps({key: value for key, value in note.items() if key != "check_probabilities"}, indent=2)
    text = head[:-2] + ',\n  "check_probabilities": [\n' + ",\n".join(f"    {json.dumps(row)}" for row in rows)
    write_atomically(graph_note_path(h5_path), (text + "\n  ]\n}\n").encode())


RUNTIME = OpenCVRuntime()

if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1]))
