"""Reading pictures: the one path from prepared pictures to lines of numbers of digits, with verdicts.

- ``reader``: prepare pictures, read them in batches through the models (``Readers``)
- ``results``: the reading as people and programs receive it (and its JSON)
- ``verdicts``: a digit, an unsure digit, or not a digit
"""

from digits.reading.reader import Prepared, Readers, choose_path, prepare, read_number, read_picture, read_prepared
from digits.reading.results import DigitReading, LineReading, NumberReading, Reading
from digits.reading.verdicts import DIGIT, LOW_CONFIDENCE, NOT_A_DIGIT, UNSURE, verdict_of

__all__ = ["DIGIT", "LOW_CONFIDENCE", "NOT_A_DIGIT", "UNSURE", "DigitReading", "LineReading", "NumberReading",
           "Prepared", "Readers", "Reading", "choose_path", "prepare", "read_number", "read_picture", "read_prepared",
           "verdict_of"]
