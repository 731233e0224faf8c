"""Kernel value object, text/JSON round trips, presets, generators and analysis."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from convlab.engine import (
    Kernel,
    analyze,
    frequency_response,
    gabor_kernel,
    gaussian_kernel,
    log_kernel,
    presets,
)
from convlab.engine.kernels import MAX_KERNEL_SIZE
from convlab.errors import ConvlabError, KernelError

# -- the value object -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (([],), "empty"),
        (([[]],), "empty"),
        (([1, 2, 3],), "2-D"),
        ((np.zeros((2, 2, 2)),), "2-D"),
        (([[1, np.nan]],), "finite"),
        (([[1], [np.inf]],), "row 2, column 1"),
        (([[1, 2], [3]],), "equal length"),
        (([["a"]],), "numbers"),
        (([[1]], 0.0), "zero"),
        (([[1]], float("nan")), "divisor"),
        (([[1]], 1.0, float("nan")), "offset"),
        (([[1]], 1.0, math.inf), "offset"),
        ((np.ones((32, 3)),), "31x31"),
        ((np.ones((3, 32)),), "31x31"),
    ],
)
def test_invalid_kernels_are_rejected_with_the_reason(args: tuple, word: str) -> None:
    with pytest.raises(KernelError, match=word):
        Kernel(*args)


def test_kernel_error_is_a_convlab_error() -> None:
    assert issubclass(KernelError, ConvlabError)


def test_largest_kernel_is_accepted() -> None:
    assert Kernel(np.ones((MAX_KERNEL_SIZE, MAX_KERNEL_SIZE))).shape == (31, 31)


def test_kernel_is_immutable_and_owns_its_weights() -> None:
    source = np.array([[1.0, 2.0], [3.0, 4.0]])
    kernel = Kernel(source, divisor=2.0, name="k")
    source[0, 0] = 100.0
    assert kernel.weights[0, 0] == 1.0
    assert source.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        kernel.weights[0, 0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        kernel.effective[0, 0] = 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        kernel.divisor = 3.0  # type: ignore[misc]
    assert kernel.weights.dtype == np.float64


def test_effective_shape_and_defaults() -> None:
    kernel = Kernel([[1, 2, 1], [2, 4, 2]], divisor=16)
    assert kernel.shape == (2, 3)
    assert (kernel.divisor, kernel.offset, kernel.name) == (16.0, 0.0, "")
    np.testing.assert_array_equal(kernel.effective, np.array([[1, 2, 1], [2, 4, 2]]) / 16)


def test_value_equality_and_hash() -> None:
    a = Kernel([[1, 2]], 2.0, 1.0, "x")
    b = Kernel(np.array([[1.0, 2.0]]), 2.0, 1.0, "x")
    assert a == b and hash(a) == hash(b)
    assert a != Kernel([[1, 2]], 2.0, 1.0, "y")
    assert a != Kernel([[1], [2]], 2.0, 1.0, "x")
    assert a != Kernel([[1, 2]], 3.0, 1.0, "x")
    assert len({a, b}) == 1


def test_geometric_transforms() -> None:
    kernel = Kernel([[1, 2, 3], [4, 5, 6]], divisor=2.0, offset=3.0, name="k")
    np.testing.assert_array_equal(kernel.flipped().weights, [[6, 5, 4], [3, 2, 1]])
    np.testing.assert_array_equal(kernel.transposed().weights, [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(kernel.rotated90().weights, [[3, 6], [2, 5], [1, 4]])
    for transformed in (kernel.flipped(), kernel.transposed(), kernel.rotated90()):
        assert (transformed.divisor, transformed.offset, transformed.name) == (2.0, 3.0, "k")
    assert kernel.flipped().flipped() == kernel
    edited = kernel.with_weights([[0, 1]])
    assert edited.shape == (1, 2) and edited.divisor == 2.0 and edited.name == "k"
    assert kernel.replace(name="other").name == "other"
    with pytest.raises(KernelError, match="unknown"):
        kernel.replace(colour="red")


def test_normalized_divides_by_the_sum() -> None:
    kernel = Kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]]).normalized()
    assert kernel.divisor == 16.0 and kernel.offset == 0.0
    assert kernel.effective.sum() == pytest.approx(1.0)
    negative = Kernel([[-1, -3]]).normalized()
    assert negative.effective.sum() == pytest.approx(1.0)


def test_normalized_zero_sum_kernel_gets_mid_grey_offset_not_a_division_by_zero() -> None:
    kernel = presets.get("sobel_x").replace(divisor=5.0).normalized()
    assert kernel.divisor == 1.0 and kernel.offset == 128.0
    tiny = Kernel([[1e-300, -1e-300]]).normalized()
    assert tiny.divisor == 1.0 and tiny.offset == 128.0


def test_json_round_trip() -> None:
    kernel = Kernel([[0.1, -2.5], [3, 1e-7]], divisor=3.0, offset=-4.0, name="mine")
    text = json.dumps(kernel.to_dict())
    assert Kernel.from_dict(json.loads(text)) == kernel


@pytest.mark.parametrize(
    ("data", "word"),
    [
        ({}, "weights"),
        ({"weights": [[1]], "colour": 1}, "unknown"),
        ([1, 2], "object"),
        ({"weights": [[1]], "divisor": 0}, "zero"),
        ({"weights": "abc"}, "2-D"),
    ],
)
def test_from_dict_errors(data: object, word: str) -> None:
    with pytest.raises(KernelError, match=word):
        Kernel.from_dict(data)  # type: ignore[arg-type]


# -- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["numpy", "csv", "text"])
@pytest.mark.parametrize("name", presets.names())
def test_text_round_trip_is_exact_for_every_preset(fmt: str, name: str) -> None:
    kernel = presets.get(name)
    assert np.array_equal(Kernel.from_text(kernel.to_text(fmt)).weights, kernel.weights)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[1,2],[3,4]]", [[1, 2], [3, 4]]),
        ("np.array([[1, 2], [3, 4]])", [[1, 2], [3, 4]]),
        ("1,2\n3,4\n", [[1, 2], [3, 4]]),
        ("  1  2\n\n 3\t4  ", [[1, 2], [3, 4]]),
        ("1 2; 3 4", [[1, 2], [3, 4]]),
        ("1/4 1/2 # a comment\n-1e1 .5", [[0.25, 0.5], [-10, 0.5]]),
        ("[1, 2, 3]", [[1, 2, 3]]),
        ("((1, 2), (3, 4))", [[1, 2], [3, 4]]),
        ("[[1. 2.]\n [3. 4.]]", [[1, 2], [3, 4]]),
        ("array([[ 0.5, -1. ],\n       [ 2. ,  3. ]], dtype=float32)", [[0.5, -1], [2, 3]]),
    ],
)
def test_from_text_accepts_what_people_paste(text: str, expected: list) -> None:
    np.testing.assert_array_equal(Kernel.from_text(text).weights, expected)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("", "no kernel weights"),
        ("1 2\n3", "row 2 has 1"),
        ("1 x", "'x'"),
        ("1 nan", "finite"),
        ("inf 2", "finite"),
        ("[[1, 2], [3]]", "row 2"),
        ("[[1, 'a']]", "'a'"),
        ("[[1, 2]", "list of rows"),
        ("[[1, 2]] + 3", "'\\+ 3'"),
        ("[[1, 2], []]", "row 2"),
        ("1/0", "'1/0'"),
        ("[[True, 1]]", "True"),
        ("__import__('os')", "__import__"),
    ],
)
def test_from_text_rejects_garbage(text: str, word: str) -> None:
    with pytest.raises(KernelError, match=word):
        Kernel.from_text(text)


def test_to_text_formats_look_as_expected() -> None:
    kernel = Kernel([[1, -0.5], [0, 2]])
    assert kernel.to_text("numpy") == "[[1, -0.5],\n [0, 2]]"
    assert kernel.to_text("csv") == "1,-0.5\n0,2"
    assert kernel.to_text("text") == "   1 -0.5\n   0    2"
    with pytest.raises(KernelError, match="format"):
        kernel.to_text("xml")


# -- presets ----------------------------------------------------------------------------------

REQUIRED_PRESETS = [
    "identity",
    "box",
    "gaussian",
    "sharpen",
    "unsharp_mask",
    "laplacian",
    "laplacian_8",
    "log",
    "sobel_x",
    "sobel_y",
    "prewitt_x",
    "prewitt_y",
    "scharr_x",
    "scharr_y",
    "emboss",
    "outline",
    "motion_blur",
]


def test_presets_include_the_classic_image_kernels() -> None:
    assert set(REQUIRED_PRESETS) <= set(presets.names())


@pytest.mark.parametrize("name", presets.names())
def test_every_preset_is_a_kernel_with_a_one_line_description(name: str) -> None:
    kernel = presets.get(name)
    assert isinstance(kernel, Kernel) and kernel.name == name
    description = presets.description(name)
    assert description and "\n" not in description and len(description) < 120
    assert description.startswith(f"{presets.title(name)}: ")  # the name the box shows


def test_preset_values_from_the_slides() -> None:
    np.testing.assert_array_equal(
        presets.get("gaussian").effective,
        [[0.0625, 0.125, 0.0625], [0.125, 0.25, 0.125], [0.0625, 0.125, 0.0625]],
    )
    np.testing.assert_array_equal(presets.get("prewitt_x").effective, [[-1, 0, 1]] * 3)
    np.testing.assert_array_equal(presets.get("prewitt_y").effective, np.array([[-1, 0, 1]] * 3).T)
    np.testing.assert_array_equal(
        presets.get("sobel_x").effective, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    )
    np.testing.assert_array_equal(
        presets.get("sobel_y").effective, [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    )
    np.testing.assert_array_equal(
        presets.get("laplacian").effective, [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    )
    np.testing.assert_array_equal(
        presets.get("identity").effective, [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    )
    np.testing.assert_allclose(presets.get("box").effective, np.full((3, 3), 1 / 9))


@pytest.mark.parametrize(
    ("name", "dc_gain"),
    [
        ("identity", 1),
        ("box", 1),
        ("gaussian", 1),
        ("sharpen", 1),
        ("unsharp_mask", 1),
        ("motion_blur", 1),
        ("emboss", 1),
        ("laplacian", 0),
        ("laplacian_8", 0),
        ("log", 0),
        ("sobel_x", 0),
        ("sobel_y", 0),
        ("prewitt_x", 0),
        ("prewitt_y", 0),
        ("scharr_x", 0),
        ("scharr_y", 0),
        ("outline", 0),
    ],
)
def test_preset_dc_gain(name: str, dc_gain: float) -> None:
    assert presets.get(name).effective.sum() == pytest.approx(dc_gain, abs=1e-12)


def test_unknown_preset_lists_the_names() -> None:
    with pytest.raises(KernelError, match="sobel_x"):
        presets.get("sobel_z")
    with pytest.raises(KernelError, match="unknown"):
        presets.description("nope")
    assert presets.is_preset("box") and not presets.is_preset("nope")


# -- generators -------------------------------------------------------------------------------


@pytest.mark.parametrize(("radius", "sigma"), [(0, 1.0), (1, 0.5), (3, 1.5), (15, 5.0)])
def test_gaussian_kernel_matches_the_formula(radius: int, sigma: float) -> None:
    kernel = gaussian_kernel(radius, sigma)
    size = 2 * radius + 1
    assert kernel.shape == (size, size)
    expected = np.array(
        [
            [
                math.exp(-((y - radius) ** 2 + (x - radius) ** 2) / (2 * sigma**2))
                for x in range(size)
            ]
            for y in range(size)
        ]
    )
    np.testing.assert_allclose(kernel.effective, expected / expected.sum(), rtol=1e-12)
    assert kernel.effective.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("radius", "sigma", "word"),
    [
        (-1, 1.0, "radius"),
        (16, 1.0, "radius"),
        (1.5, 1.0, "whole"),
        (2, 0.0, "sigma"),
        (2, math.nan, "sigma"),
    ],
)
def test_gaussian_kernel_rejects_bad_arguments(radius: object, sigma: float, word: str) -> None:
    with pytest.raises(KernelError, match=word):
        gaussian_kernel(radius, sigma)  # type: ignore[arg-type]


def test_log_kernel_is_zero_sum_negative_in_the_centre_and_radially_symmetric() -> None:
    kernel = log_kernel(4, 1.4)
    weights = kernel.effective
    assert kernel.shape == (9, 9)
    assert abs(weights.sum()) < 1e-12
    assert weights[4, 4] == weights.min() < 0
    np.testing.assert_allclose(weights, weights.T, atol=1e-15)
    np.testing.assert_allclose(weights, weights[::-1, ::-1], atol=1e-15)
    with pytest.raises(KernelError, match="sigma"):
        log_kernel(2, -1.0)


def _stripes(angle: float, wavelength: float, size: int = 41) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    return np.cos(2 * math.pi * (x * math.cos(angle) + y * math.sin(angle)) / wavelength)


def test_gabor_is_zero_mean_and_prefers_its_own_orientation() -> None:
    kernel = gabor_kernel(15, 3.0, 0.0, 6.0)
    weights = kernel.effective
    assert kernel.shape == (15, 15)
    assert abs(weights.sum()) < 1e-12
    assert weights[weights > 0].sum() == pytest.approx(1.0)
    centre = slice(13, 28)

    def response(angle: float) -> float:
        return float(np.abs((_stripes(angle, 6.0)[centre, centre] * weights).sum()))

    assert response(0.0) > 5 * response(math.pi / 2)
    rotated = gabor_kernel(15, 3.0, math.pi / 2, 6.0).effective
    np.testing.assert_allclose(rotated, np.rot90(weights), atol=1e-12)


def test_gabor_phase_makes_it_odd() -> None:
    odd = gabor_kernel(11, 2.5, 0.0, 5.0, phase=math.pi / 2).effective
    np.testing.assert_allclose(odd, -odd[:, ::-1], atol=1e-12)


@pytest.mark.parametrize(
    ("args", "word"),
    [
        ((0, 1, 0, 4), "size"),
        ((32, 1, 0, 4), "size"),
        ((5, 0, 0, 4), "sigma"),
        ((5, 1, 0, 0), "wavelength"),
        ((5, 1, math.inf, 4), "theta"),
    ],
)
def test_gabor_rejects_bad_arguments(args: tuple, word: str) -> None:
    with pytest.raises(KernelError, match=word):
        gabor_kernel(*args)


# -- analysis ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["sobel_x", "sobel_y", "prewitt_x", "gaussian", "box", "identity", "scharr_y"]
)
def test_separable_presets_have_rank_one_factors(name: str) -> None:
    kernel = presets.get(name)
    analysis = analyze(kernel)
    assert analysis.rank == 1 and analysis.separable
    column, row = analysis.factors
    assert column.shape == (kernel.shape[0],) and row.shape == (kernel.shape[1],)
    np.testing.assert_allclose(np.outer(column, row), kernel.effective, atol=1e-12)


def test_sobel_factors_are_the_textbook_smoothing_and_derivative() -> None:
    column, row = analyze(presets.get("sobel_x")).factors
    np.testing.assert_allclose(column, [0.25, 0.5, 0.25])
    np.testing.assert_allclose(row, [-4, 0, 4], atol=1e-12)


@pytest.mark.parametrize(
    ("name", "rank"),
    [("laplacian", 2), ("sharpen", 2), ("outline", 2), ("emboss", 3), ("motion_blur", 9)],
)
def test_non_separable_presets(name: str, rank: int) -> None:
    analysis = analyze(presets.get(name))
    assert analysis.rank == rank and not analysis.separable and analysis.factors is None


def test_rank_of_random_and_constructed_kernels() -> None:
    rng = np.random.default_rng(0)
    assert analyze(rng.normal(size=(5, 7))).rank == 5
    two = np.outer(rng.normal(size=6), rng.normal(size=4)) + np.outer(
        rng.normal(size=6), rng.normal(size=4)
    )
    assert analyze(two).rank == 2
    zero = analyze(np.zeros((3, 2)))
    assert zero.rank == 0 and zero.separable and zero.zero_mean
    np.testing.assert_array_equal(np.outer(*zero.factors), np.zeros((3, 2)))


def test_sum_zero_mean_and_symmetry() -> None:
    gaussian = analyze(presets.get("gaussian"))
    assert gaussian.total == pytest.approx(1.0) and not gaussian.zero_mean
    assert gaussian.symmetric and "diagonal mirror" in gaussian.symmetries
    sobel = analyze(presets.get("sobel_x"))
    assert sobel.zero_mean and not sobel.symmetric
    assert "up-down mirror" in sobel.symmetries
    assert "left-right mirror (sign flips)" in sobel.symmetries
    assert analyze(Kernel([[1, 2], [3, 4]], divisor=2)).total == pytest.approx(5.0)
    assert analyze([[1, 2, 3], [4, 5, 7]]).symmetries == ()


def test_frequency_response_matches_a_direct_fourier_sum() -> None:
    weights = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
    size = 8
    response = frequency_response(Kernel(weights, divisor=2.0), size)
    assert response.shape == (size, size) and response.dtype == np.float32
    for fy in range(-4, 4):
        for fx in range(-4, 4):
            value = sum(
                weights[u, v] / 2.0 * np.exp(-2j * np.pi * (fy * u + fx * v) / size)
                for u in range(2)
                for v in range(3)
            )
            assert response[fy + 4, fx + 4] == pytest.approx(abs(value), rel=1e-5, abs=1e-6)


def test_frequency_response_of_a_blur_and_an_edge_detector() -> None:
    blur = frequency_response(presets.get("box"))
    assert blur[32, 32] == pytest.approx(1.0) and blur.max() == pytest.approx(1.0)
    edges = frequency_response(presets.get("laplacian"))
    assert edges[32, 32] == pytest.approx(0.0, abs=1e-6) and edges.max() > 1
    with pytest.raises(KernelError, match="size"):
        frequency_response(presets.get("log"), 4)


def test_every_preset_has_a_plain_name_and_keeps_its_code_name():
    titles = [presets.title(name) for name in presets.names()]
    assert len(set(titles)) == len(titles)
    assert all("_" not in title and title[0].isupper() for title in titles)
    assert presets.title("sobel_x") == "Sobel, vertical edges"
    assert presets.title("laplacian_8") == "Laplacian (8 neighbours)"
    assert presets.title("log") == "Laplacian of Gaussian"
    assert presets.get("sobel_x").name == "sobel_x"  # files and --kernel keep the code name
    assert presets.shown_name(presets.get("sobel_x")) == "Sobel, vertical edges"
    assert presets.shown_name(Kernel(np.ones((2, 2)), name="my kernel")) == "my kernel"
    # a divisor of its own is still the preset; different weights under its name are not
    halved = presets.get("sobel_x").replace(divisor=2.0)
    assert presets.shown_name(halved) == "Sobel, vertical edges"
    impostor = Kernel(np.ones((3, 3)), name="sobel_x")
    assert presets.shown_name(impostor) == "sobel_x"
    with pytest.raises(KernelError, match="unknown kernel preset"):
        presets.title("Sobel, vertical edges")


def test_a_kernel_name_is_one_line_without_controls_or_overrides():
    name = "\u202eevil\nname\tx\x00  y \u2066z\u2069"
    assert Kernel(np.ones((1, 1)), name=name).name == "evil name x y z"
    assert Kernel(np.ones((1, 1)), name="Sobel, vertical edges").name == "Sobel, vertical edges"
