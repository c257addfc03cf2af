"""Train a network on the MNIST CSVs, evaluate it on the test CSV, save the .h5, its card and plots.

- ``run``: ``train()`` as a sequence of named steps; ``plan``: the run's settings and state
- ``digit_task`` and ``sequence_task``: what differs per model kind (data, loss, measure)
- ``fitting``: Keras' fit with checkpoints and resume
- ``schedules``: learning-rate schedules
- ``evaluation``: test-set probabilities and figures
- ``card``: the JSON model card
"""

from digits.profiles import Finish
from digits.training.evaluation import evaluate, predict_probabilities
from digits.training.plan import TrainingConfig, split_validation
from digits.training.run import train
from digits.training.schedules import cosine_learning_rate, finishing_learning_rate

__all__ = ["Finish", "TrainingConfig", "cosine_learning_rate", "evaluate", "finishing_learning_rate",
           "predict_probabilities", "split_validation", "train"]
