"""What the app holds for its whole life (models, examples), behind small accessor functions."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from digits.reading import Readers

EXTENSION_KEY = "digits"


@dataclass(frozen=True)
class Service:
    """The loaded models (most accurate first), the default one's name, and the example pictures."""

    classifiers: dict  # name -> inference.Classifier
    default_model: str
    samples: dict[str, bytes]  # file name -> bytes, read once at start-up
    sequence_reader: object = None  # inference.SequenceReader for touching digits, when trained
    mark_checker: object = None  # inference.Classifier: a digit, or not a digit, when trained

    @property
    def default_classifier(self):
        """Return the classifier that answers when a request names none."""
        return self.classifiers[self.default_model]

    def readers(self, classifier) -> Readers:
        """Return the models a reading with ``classifier`` uses."""
        return Readers(classifier=classifier, sequence=self.sequence_reader, marks=self.mark_checker)


def install(app: Flask, service: Service) -> None:
    """Attach the service to the app (once, in the factory)."""
    app.extensions[EXTENSION_KEY] = service


def service_of(app: Flask | None = None) -> Service:
    """Return the service of ``app``, or of the app handling the current request."""
    return (app or current_app).extensions[EXTENSION_KEY]
