"""One source of truth for paths, image geometry and limits."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = PROJECT_ROOT / "model"
DATA_DIR = PROJECT_ROOT / "data"
SAMPLES_DIR = PROJECT_ROOT / "samples"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"

TRAIN_CSV = DATA_DIR / "mnist_train.csv"
TEST_CSV = DATA_DIR / "mnist_test.csv"

# MNIST geometry: 28x28 pictures whose ink fits a 20x20 box, placed by centre of mass.
IMAGE_SIDE = 28
PIXEL_COUNT = IMAGE_SIDE * IMAGE_SIDE
INK_BOX_SIDE = 20
NUM_CLASSES = 10

# Upload limits: a body over MAX_UPLOAD_BYTES is a 413, and so is a picture whose header
# announces more than MAX_PIXELS, refused before its pixels are decoded.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001


def model_path(name: str, model_dir: Path = MODEL_DIR) -> Path:
    """Return the .h5 path of the model called ``name`` (``dense`` -> model/mnist_dense.h5)."""
    return Path(model_dir) / f"mnist_{name.replace('-', '_')}.h5"


def card_path(name: str, model_dir: Path = MODEL_DIR) -> Path:
    """Return the JSON model-card path that sits beside the model called ``name``."""
    return model_path(name, model_dir).with_suffix(".json")
