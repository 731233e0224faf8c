"""The kernel editor's edits as plain functions: cells, steps, resize, normalize, text, JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from convlab.engine import presets
from convlab.engine.convolve import convolve
from convlab.engine.kernel_ops import (
    EFFECTIVE_LIMIT,
    WEIGHT_LIMIT,
    check_kernel_range,
    common_denominator,
    format_weight,
    kernel_from_clipboard,
    kernel_to_clipboard,
    load_kernel_file,
    normalized,
    parse_cell_value,
    resize_remembering,
    resized,
    save_kernel_file,
    step_size,
    stepped,
    weight_texts,
    without_leading_zero,
)
from convlab.engine.kernels import Kernel, gaussian_kernel
from convlab.errors import KernelError


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("-2", -2.0),
        (" 0.25 ", 0.25),
        ("1/16", 0.0625),
        ("−3", -3.0),
        ("1e-3", 0.001),
        (7, 7.0),
        (np.float32(0.5), 0.5),
        ("-1e6", -1e6),
    ],
)
def test_typed_cells_are_read_as_numbers(typed, expected):
    assert parse_cell_value(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        math.nan,
        math.inf,
        -math.inf,
        1e308,
        "",
        "   ",
        "abc",
        "nan",
        "inf",
        "1e308",
        "1/0",
        "1e999",
        True,
        None,
        [1],
        WEIGHT_LIMIT * 1.5,
    ],
)
def test_unusable_cells_are_refused_with_the_cell_named(typed):
    with pytest.raises(KernelError, match="row 2, column 3"):
        parse_cell_value(typed, "row 2, column 3")


def test_compact_cell_text():
    assert format_weight(0.0625) == "0.0625"
    assert format_weight(1 / 3) == "0.3333"
    assert format_weight(-0.0) == "0"
    assert format_weight(2.0) == "2"
    assert format_weight(1e-5) == "1e-5"


def test_step_matches_the_kernels_scale():
    assert step_size(presets.get("sobel_x").weights) == 1.0
    assert step_size(presets.get("gaussian").weights) == pytest.approx(0.01)  # max 0.25
    assert step_size(np.zeros((3, 3))) == 1.0
    assert step_size(np.array([[0.5, 1.0]])) == pytest.approx(0.1)
    assert step_size(np.array([[3.5, -12.0]])) == pytest.approx(1.0)


def test_stepping_leaves_no_float_noise():
    assert stepped(0.1, 0.1, 2) == 0.3
    assert stepped(0.0625, 0.01, -3) == 0.0325
    assert stepped(WEIGHT_LIMIT, 1.0, 5) == WEIGHT_LIMIT


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ((3, 3), (5, 5)),
        ((3, 3), (4, 4)),
        ((2, 2), (3, 3)),
        ((3, 5), (5, 7)),
        ((1, 3), (1, 7)),
        ((4, 4), (7, 6)),
    ],
)
def test_growing_a_kernel_keeps_what_it_does(old, new):
    """Zeros added around the anchor: convolve gives the same image (independent check)."""
    rng = np.random.default_rng(3)
    weights = rng.normal(size=old)
    image = rng.uniform(0, 255, size=(17, 19)).astype(np.float32)
    grown = resized(weights, *new)
    assert grown.shape == new
    assert np.count_nonzero(grown) == weights.size
    for border in ("reflect101", "constant", "wrap"):
        np.testing.assert_allclose(
            convolve(image, grown, border=border),
            convolve(image, weights, border=border),
            rtol=1e-5,
            atol=1e-3,
        )


def test_shrinking_keeps_the_centre_values():
    weights = np.arange(25, dtype=float).reshape(5, 5)
    np.testing.assert_array_equal(resized(weights, 3, 3), weights[1:4, 1:4])
    np.testing.assert_array_equal(resized(weights, 1, 1), [[12.0]])
    np.testing.assert_array_equal(resized(weights, 5, 1), weights[:, 2:3])
    np.testing.assert_array_equal(
        resized(resized(weights, 3, 3), 5, 5)[1:4, 1:4], weights[1:4, 1:4]
    )


@pytest.mark.parametrize("size", [(0, 3), (3, 32), (100000, 3), (3.0, 3), (-1, 5)])
def test_huge_or_silly_sizes_are_refused(size):
    with pytest.raises(KernelError):
        resized(np.ones((3, 3)), *size)


def test_normalize_never_divides_by_zero():
    with np.errstate(all="raise"):
        with pytest.raises(KernelError, match="all zeros"):
            normalized(Kernel(np.zeros((3, 3))))
        zero_sum = normalized(presets.get("laplacian"))
        ones = normalized(Kernel(np.ones((3, 3))))
    assert (zero_sum.divisor, zero_sum.offset) == (1.0, 128.0)
    np.testing.assert_array_equal(zero_sum.weights, presets.get("laplacian").weights)
    assert ones.divisor == 9.0
    assert ones.effective.sum() == pytest.approx(1.0)


KERNELS = [
    presets.get("sobel_x"),
    gaussian_kernel(2, 0.7),
    Kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]], divisor=16, offset=3.5),
    Kernel([[0.1, -1 / 3, 2e-7, 123456.789]]),
    Kernel([[1.0], [-2.0]]),
]


@pytest.mark.parametrize("fmt", ["numpy", "csv", "text"])
@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: k.name or str(k.shape))
def test_clipboard_text_round_trips_exactly(fmt, kernel):
    back = kernel_from_clipboard(kernel_to_clipboard(kernel, fmt))
    assert back.shape == kernel.shape
    np.testing.assert_array_equal(back.weights, kernel.weights)
    assert (back.divisor, back.offset) == (kernel.divisor, kernel.offset)


def test_text_people_paste_from_elsewhere():
    assert kernel_from_clipboard("np.array([[1, 0], [0, -1]])").weights.tolist() == [
        [1, 0],
        [0, -1],
    ]
    assert kernel_from_clipboard("1,2,1\n2,4,2\n1,2,1\n").weights.sum() == 16
    assert kernel_from_clipboard("  -1  0  1\n\t-2 0 2\n").shape == (2, 3)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "abc",
        "[[1, 2], [3]]",
        "1 2\n3",
        "nan 1",
        "1 inf",
        "[[1, 2], 'x']",
        "__import__('os')",
        "1 2 3\n" * 40,
        "9" * 200_000,
        None,
        42,
    ],
)
def test_garbage_pasted_is_refused(garbage):
    with pytest.raises(KernelError, match="Paste"):
        kernel_from_clipboard(garbage)


def test_json_file_round_trip(tmp_path):
    for kernel in KERNELS:
        path = tmp_path / "kernel.json"
        save_kernel_file(kernel, path)
        assert json.loads(path.read_text())["weights"] == kernel.weights.tolist()
        back = load_kernel_file(path)
        assert back == kernel or (not kernel.name and back.replace(name="") == kernel)
    assert list(tmp_path.iterdir()) == [tmp_path / "kernel.json"]  # no temporary left over


def test_unreadable_kernel_files_name_the_file(tmp_path):
    cases = {
        "missing.json": None,
        "broken.json": '{"weights": [[1, 2],',
        "noweights.json": json.dumps({"name": "x"}),
        "nan.json": json.dumps({"weights": [[1, float("nan")]]}),
        "huge.json": json.dumps({"weights": np.ones((40, 40)).tolist()}),
        "big_weights.json": json.dumps({"weights": [[1e308, 1.0]]}),
        "tiny_divisor.json": json.dumps({"weights": [[1.0, 2.0]], "divisor": 1e-300}),
        "list.json": json.dumps([1, 2, 3]),
        "binary.json": b"\xff\xfe\x00\x81garbage",
    }
    for name, content in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content)
        with pytest.raises(KernelError, match=name):
            load_kernel_file(path)
    with pytest.raises(KernelError, match="folder"):
        load_kernel_file(tmp_path)
    with pytest.raises(KernelError, match="Save kernel"):
        save_kernel_file(presets.get("box"), tmp_path / "no_such_dir" / "k.json")


def test_kernels_from_outside_the_grid_obey_the_cell_limits():
    """Pasted or loaded kernels: weights within the typed-cell limit, and a divisor that keeps
    every weight/divisor (hence every output of 31x31 weights on 0..255) inside float32."""
    assert check_kernel_range(Kernel(np.full((2, 2), WEIGHT_LIMIT)), "here").shape == (2, 2)
    with pytest.raises(KernelError, match=r"here: a weight of 1e\+07 is too large"):
        check_kernel_range(Kernel(np.full((2, 2), 1e7)), "here")
    with pytest.raises(KernelError, match="divisor 1e-13"):
        check_kernel_range(Kernel(np.ones((3, 3)), divisor=1e-13), "here")
    with pytest.raises(KernelError, match="offset"):
        check_kernel_range(Kernel(np.ones((3, 3)), offset=1e9), "here")
    # the limit is about weight / divisor, whatever sign the divisor has
    edge = Kernel(np.full((1, 1), 2.0), divisor=-2.0 / EFFECTIVE_LIMIT)
    assert check_kernel_range(edge, "here") is edge
    worst = 31 * 31 * 255 * EFFECTIVE_LIMIT + WEIGHT_LIMIT
    assert np.isfinite(np.float32(worst))
    for pasted in ("[[1e308, 1e308], [1e308, 1e308]]", "[[1e7, 1], [1, 1]]"):
        with pytest.raises(KernelError, match=r"Paste: .*too large"):
            kernel_from_clipboard(pasted)
    with pytest.raises(KernelError, match="Paste: divisor"):
        kernel_from_clipboard("1 2\n3 4\n# divisor=1e-13 offset=0")


# ----------------------------------------------------------------------------- cell text
@pytest.mark.parametrize("value", [-0.25, 0.0625, 0.125, -0.0625, 1.0, -8.0, 0.5, 1234.0, 0.1])
def test_a_weight_of_four_significant_digits_or_fewer_is_only_ever_shown_exactly(value):
    texts = weight_texts(value)
    assert texts == [format_weight(value)]
    assert float(texts[0]) == value


def test_longer_weights_round_honestly_and_never_by_more_than_one_percent():
    assert weight_texts(1 / 3) == ["0.3333", "0.333", "0.33"]
    assert weight_texts(2 / 3) == ["0.6667", "0.667", "0.67"]  # 0.7 would be 5% off
    assert weight_texts(0.011343) == ["0.01134", "0.0113"]  # 0.011 would be 3% off
    for value in np.random.default_rng(0).uniform(-50, 50, 2000):
        for text in weight_texts(value):
            assert abs(float(text) - value) <= 0.01 * abs(value)


def test_the_leading_zero_may_go_but_no_digit():
    assert without_leading_zero("0.0625") == ".0625"
    assert without_leading_zero("-0.25") == "-.25"
    assert without_leading_zero("12.5") == "12.5"


def test_the_common_denominator_is_found_exactly_when_it_exists():
    gaussian = presets.get("gaussian").weights  # 1 2 1 / 16
    assert common_denominator(gaussian) == 16
    assert np.array_equal(gaussian * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert common_denominator(np.full((3, 3), 1 / 9)) == 9
    assert common_denominator(presets.get("sobel_x").weights) == 1
    assert common_denominator(np.array([[0.5, 0.25, 0.2]])) == 20
    assert common_denominator(gaussian_kernel(5, 3.0).weights) is None  # exp() values
    assert common_denominator(np.array([[1 / 10007]])) is None  # past the limit


# ----------------------------------------------------------------------------- resize memory
def test_shrinking_then_growing_gives_the_weights_back():
    big = Kernel(np.arange(1.0, 26.0).reshape(5, 5), divisor=2.0, offset=3.0, name="mine")
    small, memory = resize_remembering(big, None, 3, 3)
    np.testing.assert_array_equal(small.weights, big.weights[1:4, 1:4])
    assert (small.divisor, small.offset, small.name) == (2.0, 3.0, "custom")
    smaller, memory = resize_remembering(small, memory, 1, 1)
    assert smaller.weights.tolist() == [[13.0]]
    back, memory = resize_remembering(smaller, memory, 5, 5)
    assert back == big and back.name == "mine" and memory is None
    wider, memory = resize_remembering(big, None, 7, 7)  # growing past it pads with zeros
    assert wider.weights[0].tolist() == [0.0] * 7 and memory is None


def test_an_edit_after_the_shrink_ends_the_memory():
    big = Kernel(np.arange(1.0, 26.0).reshape(5, 5))
    small, memory = resize_remembering(big, None, 3, 3)
    weights = np.array(small.weights)
    weights[1, 1] = -1.0
    edited = small.replace(weights=weights)
    grown, memory = resize_remembering(edited, memory, 5, 5)
    assert grown.weights[0].tolist() == [0.0] * 5  # zeros: the old ring is gone
    assert grown.weights[2, 2] == -1.0 and memory is None
    # a divisor change is an edit too
    small, memory = resize_remembering(big, None, 3, 3)
    grown, _ = resize_remembering(small.replace(divisor=9.0), memory, 5, 5)
    assert grown.weights[0].tolist() == [0.0] * 5


def test_rows_and_columns_are_remembered_apart():
    big = Kernel(np.arange(1.0, 26.0).reshape(5, 5))
    tall, memory = resize_remembering(big, None, 7, 3)  # more rows (zeros), fewer columns
    assert tall.shape == (7, 3) and memory is big
    back, memory = resize_remembering(tall, memory, 5, 5)
    assert back == big


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
def test_a_kernel_file_saved_by_a_windows_editor_loads(tmp_path, encoding):
    """Notepad writes a byte-order mark, PowerShell 5 writes UTF-16: both are JSON."""
    path = tmp_path / "k.json"
    path.write_bytes('{"name": "Sobel é", "weights": [[1, 0, -1]]}'.encode(encoding))
    kernel = load_kernel_file(path)
    assert kernel.name == "Sobel é" and kernel.weights.tolist() == [[1.0, 0.0, -1.0]]
