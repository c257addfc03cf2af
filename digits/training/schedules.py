"""Learning-rate schedules: a cosine decay over the main epochs, then the finish's own from a small rate."""

from __future__ import annotations

import math

from digits.profiles import Finish


def cosine_learning_rate(base: float, total_epochs: int):
    """Return epoch -> learning rate, a cosine decay from ``base`` to 2% of it."""

    def schedule(epoch: int, _current: float = 0.0) -> float:
        progress = min(epoch / max(total_epochs - 1, 1), 1.0)
        return float(base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))))

    return schedule


def finishing_learning_rate(base: float, main_epochs: int, finish: Finish | None):
    """Return epoch -> learning rate: the cosine decay over the main epochs, then the finish's own.

    The finish starts again from its own small rate and decays along a half cosine.
    """
    main = cosine_learning_rate(base, main_epochs)

    def schedule(epoch: int, _current: float = 0.0) -> float:
        if finish is None or epoch < main_epochs:
            return main(epoch)
        return float(finish.learning_rate * 0.5 * (1 + math.cos(math.pi * (epoch - main_epochs) / finish.epochs)))

    return schedule
