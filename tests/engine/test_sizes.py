"""Whole numbers people type, and the one output-size formula, against counting by hand."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.engine.sizes import output_size, whole_number
from convlab.errors import ConvlabError, KernelError


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3)])
def test_whole_number_takes_python_and_numpy_integers(value) -> None:
    number = whole_number(value, "stride", minimum=1, maximum=4)
    assert number == 3 and type(number) is int


@pytest.mark.parametrize(
    ("value", "limits", "words"),
    [
        (3.0, {}, "stride must be a whole number, got 3.0"),
        (True, {}, "stride must be a whole number, got True"),
        ("3", {}, "stride must be a whole number, got '3'"),
        (0, {"minimum": 1}, "stride must be at least 1, got 0"),
        (9, {"maximum": 8}, "stride must be at most 8, got 9"),
        (9, {"minimum": 1, "maximum": 8}, "stride must be between 1 and 8, got 9"),
    ],
)
def test_whole_number_names_the_setting_the_limits_and_the_value(value, limits, words) -> None:
    with pytest.raises(ConvlabError) as caught:
        whole_number(value, "stride", **limits)
    assert str(caught.value) == words


def test_whole_number_raises_the_error_class_asked_for() -> None:
    with pytest.raises(KernelError):
        whole_number(-1, "radius", minimum=0, error=KernelError)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("pads", [(0, 0), (0, 1), (1, 2), (2, 2)])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("dilation", [1, 2])
def test_uneven_padding_counts_window_positions(n, k, pads, stride, dilation) -> None:
    span = dilation * (k - 1) + 1
    starts = range(0, n + sum(pads) - span + 1, stride)  # where the window fits, by hand
    if not starts:
        with pytest.raises(ConvlabError, match="no output pixel fits"):
            output_size(n, k, padding=pads, stride=stride, dilation=dilation)
        return
    assert output_size(n, k, padding=pads, stride=stride, dilation=dilation) == len(starts)


def test_padding_must_be_one_number_or_a_pair() -> None:
    with pytest.raises(ConvlabError, match="before, after"):
        output_size(5, 3, padding=(1, 1, 1))
    with pytest.raises(ConvlabError, match="padding must be at least 0"):
        output_size(5, 3, padding=(1, -1))
