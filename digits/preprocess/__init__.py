"""Pure functions that turn any uploaded picture into the 28x28 inputs the model expects.

One module per stage, in the order a picture goes through them:

- ``decode``: bytes -> header check -> upright pixels at a bounded working size
- ``ink``: grey -> which way the ink goes -> ink map without uneven light -> thresholded masks
- ``ruled_lines``: notebook lines and the slivers they leave between digits, erased
- ``segment``: connected pieces of ink, and the pieces of one mark merged
- ``lines``: pieces grouped into lines of writing, top to bottom
- ``touching``: candidate cuts through marks where digits may touch
- ``layout``: lines -> numbers -> parts and the runs of parts that may be digits
- ``strokes`` and ``framing``: stroke width evened, each candidate digit scaled into 20x20 and
  placed in 28x28 by its centre of mass, the way MNIST itself was made

``pipeline`` wires them, once, as a named sequence of steps.
"""

from digits.errors import PictureError
from digits.preprocess.decode import (
    ACCEPTED_FORMATS,
    ACCEPTED_TEXT,
    WORKING_SIDE,
    Decoded,
    decode_picture,
    open_picture,
    rgba_from_array,
)
from digits.preprocess.framing import (
    CandidateCrop,
    DigitCrop,
    LineCrops,
    NumberCrops,
    centre_by_mass,
    to_mnist_square,
    to_model_input,
)
from digits.preprocess.ink import ink_is_dark, ink_map, to_grey, transparent_background
from digits.preprocess.layout import find_digit_boxes, lay_out, may_be_one_digit
from digits.preprocess.pipeline import (
    STEPS,
    digits_from_array,
    extract_digits,
    extract_page,
    ink_mask,
    marks_of,
    page_from_array,
    page_from_decoded,
    page_from_grey,
    read_page,
)
from digits.preprocess.ruled_lines import cut_thin_bridges, remove_ruled_lines
from digits.preprocess.strokes import even_stroke, is_bold, stroke_width

__all__ = [
    "ACCEPTED_FORMATS", "ACCEPTED_TEXT", "STEPS", "WORKING_SIDE", "CandidateCrop", "Decoded", "DigitCrop",
    "LineCrops", "NumberCrops", "PictureError", "centre_by_mass", "cut_thin_bridges", "decode_picture",
    "digits_from_array", "even_stroke", "extract_digits", "extract_page", "find_digit_boxes", "ink_is_dark",
    "ink_map", "ink_mask", "is_bold", "lay_out", "marks_of", "may_be_one_digit", "open_picture", "page_from_array",
    "page_from_decoded", "page_from_grey", "read_page", "remove_ruled_lines", "rgba_from_array", "stroke_width",
    "to_grey", "to_mnist_square", "to_model_input", "transparent_background",
]
