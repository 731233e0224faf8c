"""Whole numbers people type (sizes, strides, radii, counts) and the output size they give.

One rule for every whole number: a bool, a float (3.0 is not a size) or a string is refused, and
the message names the setting, the limits and the value, so the window can show it as it is.
One formula for every sliding window (convolution, pooling, a CNN layer, the animation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convlab.errors import ConvlabError


def whole_number(
    value: Any,
    what: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    error: type[ConvlabError] = ConvlabError,
) -> int:
    """``value`` as an int within [minimum, maximum], or ``error`` saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise error(f"{what} must be a whole number, got {value!r}")
    number = int(value)
    low_ok = minimum is None or number >= minimum
    high_ok = maximum is None or number <= maximum
    if low_ok and high_ok:
        return number
    if minimum is not None and maximum is not None:
        raise error(f"{what} must be between {minimum} and {maximum}, got {number}")
    if minimum is not None:
        raise error(f"{what} must be at least {minimum}, got {number}")
    raise error(f"{what} must be at most {maximum}, got {number}")


def window_settings(padding: Any, stride: Any, dilation: Any) -> tuple[int, int, int]:
    """(padding, stride, dilation) as whole numbers, padding >= 0 and the others >= 1; a
    ConvlabError names the first that is not."""
    return (
        whole_number(padding, "padding", minimum=0),
        whole_number(stride, "stride", minimum=1),
        whole_number(dilation, "dilation", minimum=1),
    )


def output_size(
    n: int,
    k: int,
    *,
    padding: int | tuple[int, int] = 0,
    stride: int = 1,
    dilation: int = 1,
) -> int:
    """floor((n + 2*padding - dilation*(k-1) - 1) / stride) + 1, with every step explained.

    ``padding`` is p on both sides, or (before, after) for the uneven "same" padding of an
    even kernel. Raises ConvlabError saying which number is wrong, or why no output pixel fits.
    """
    n = whole_number(n, "input size", minimum=1)
    k = whole_number(k, "kernel size", minimum=1)
    stride = whole_number(stride, "stride", minimum=1)
    dilation = whole_number(dilation, "dilation", minimum=1)
    pads = tuple(padding) if isinstance(padding, (tuple, list)) else (padding, padding)
    if len(pads) != 2:
        raise ConvlabError(f"padding must be p or (before, after), got {padding!r}")
    before, after = (whole_number(pad, "padding", minimum=0) for pad in pads)
    span = dilation * (k - 1) + 1
    padded = n + before + after
    if span > padded:
        added = f"2x{before}" if before == after else f"{before}+{after}"
        raise ConvlabError(
            f"no output pixel fits: the kernel spans {span} pixels (size {k}, dilation "
            f"{dilation}) but the padded input is only {padded} ({n} + {added}), so it does not "
            "fit even once; add padding or use a smaller kernel or dilation"
        )
    return (padded - span) // stride + 1
