"""Train a network on the MNIST CSVs, evaluate it on the test CSV, save the .h5, its card and plots.

- ``run``: ``train()`` as a sequence of named steps, and the run's settings
- ``fitting``: Keras' fit with checkpoints and resume
- ``schedules``: learning-rate schedules
- ``evaluation``: test-set probabilities and figures
- ``card``: the JSON model card
"""

from digits.profiles import Finish
from digits.training.evaluation import evaluate, predict_probabilities
from digits.training.run import TrainingConfig, split_validation, train
from digits.training.schedules import cosine_learning_rate, finishing_learning_rate

__all__ = ["Finish", "TrainingConfig", "cosine_learning_rate", "evaluate", "finishing_learning_rate",
           "predict_probabilities", "split_validation", "train"]
