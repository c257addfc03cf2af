"""Import TensorFlow and Keras without the CUDA/oneDNN start-up noise users should never see."""

import contextlib
import logging
import os
import sys
import warnings


@contextlib.contextmanager
def silenced_stdio():
    """Send the process's own stdout and stderr (file descriptors 1 and 2) to /dev/null."""
    # TensorFlow's C++ core writes straight to fd 2 before any Python logging is set up,
    # so only redirecting the descriptors themselves hides it.
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in (*saved, devnull):
            os.close(descriptor)


def import_keras():
    """Import and return ``keras`` with TensorFlow's logging turned down to errors."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "keras" not in sys.modules:
        with silenced_stdio():
            import keras  # noqa: F401
            import tensorflow as tf
        tf.get_logger().setLevel(logging.ERROR)
        logging.getLogger("absl").setLevel(logging.ERROR)
        # .h5 is this project's chosen format; Keras 3 calling it legacy is not news to users.
        warnings.filterwarnings("ignore", message=r".*HDF5 file.*legacy.*")
        warnings.filterwarnings("ignore", message=r".*legacy.*HDF5.*")
    import keras

    return keras
