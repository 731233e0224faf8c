"""The only errors a user ever sees.

Every failure that reaches a person is a ``ConvlabError`` whose message names the thing
(a file, a camera, a cell) and the reason, so the window can show it without a traceback.
"""

from __future__ import annotations


class ConvlabError(Exception):
    """A failure worth telling the user about, with a message that names what and why."""


class KernelError(ConvlabError):
    """A kernel whose weights, size or settings cannot be used."""


class SourceError(ConvlabError):
    """An image, video, camera or stream that cannot be read."""


class DataError(ConvlabError):
    """A dataset file or folder that cannot be used for training."""


class TrainingError(ConvlabError):
    """Training that cannot go on (for example, the loss became NaN)."""
