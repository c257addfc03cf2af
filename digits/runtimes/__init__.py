"""What runs a model: one small interface, and a registry of the runtimes that implement it.

The .h5 is the source of truth. A *derived* runtime serves a file made from it (the ONNX
runtime: the model exported to ONNX) and says whether that file is current; the TensorFlow
runtime runs the .h5 itself. Adding a runtime is one new module with a ``RUNTIME`` object, named in ``REGISTRY``.
"""

from __future__ import annotations

from digits.runtimes import onnx, tensorflow
from digits.runtimes.base import BATCH_BUCKETS, Net, Runtime

__all__ = ["BATCH_BUCKETS", "REGISTRY", "RUNTIME_CHOICES", "Net", "Runtime", "candidates", "derived_runtimes"]


# In order of preference for "auto": derived runtimes first, TensorFlow last, as the fallback.
REGISTRY: dict[str, Runtime] = {runtime.name: runtime for runtime in (onnx.RUNTIME, tensorflow.RUNTIME)}
RUNTIME_CHOICES = ("auto", *REGISTRY)


def candidates(choice: str) -> list[Runtime]:
    """Return the runtimes to try for a ``--runtime`` choice, in order ("auto": all, preferred first)."""
    if choice == "auto":
        return list(REGISTRY.values())
    if choice not in REGISTRY:
        raise ValueError(f"unknown runtime {choice!r}; choose one of {', '.join(RUNTIME_CHOICES)}")
    return [REGISTRY[choice]]


def derived_runtimes() -> list[Runtime]:
    """Return the runtimes that serve a file made from the .h5, preferred first."""
    return [runtime for runtime in REGISTRY.values() if runtime.derived]
