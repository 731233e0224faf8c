"""A kernel that learns itself: gradient descent on one kernel's weights, checked against
``convolve`` (the loss), finite differences (the gradient) and least squares (the answer)."""

from __future__ import annotations

import numpy as np
import pytest

from convlab.cnn import fit_kernel
from convlab.cnn.kernel_fit import KernelFit, patch_statistics
from convlab.engine import convolve, gaussian_kernel, presets
from convlab.engine.assets import resource_path
from convlab.engine.sources import load_image
from convlab.errors import ConvlabError


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real photograph: neighbouring pixels alike, so the loss is a long, narrow bowl."""
    return load_image(resource_path("images", "astronaut.jpg"))


def run(generator):
    """Every (step, loss, weights) the generator yields."""
    return list(generator)


def direct_loss(image, target, weights, border="reflect101"):
    scale = float(np.abs(np.asarray(image, dtype=np.float64)).max())
    output = convolve(np.asarray(image, dtype=np.float64), weights, border=border)
    return float(np.mean((output.astype(np.float64) - np.asarray(target, np.float64)) ** 2)) / (
        scale * scale
    )


@pytest.mark.parametrize(
    "hidden", [presets.get("sobel_x").effective, gaussian_kernel(2, 1.0).effective]
)
def test_sobel_and_a_5x5_gaussian_are_found_within_1e_3_per_weight(photo, hidden):
    target = convolve(photo, hidden)
    steps = run(fit_kernel(photo, target, hidden.shape))
    first, last = steps[0], steps[-1]
    assert first[0] == 0 and np.array_equal(first[2], np.zeros(hidden.shape))
    assert last[2].shape == hidden.shape
    assert np.abs(last[2] - hidden).max() < 1e-3
    assert last[1] < 1e-9 < first[1]
    assert [step for step, _, _ in steps] == list(range(len(steps)))
    assert len(steps) < 20_000  # momentum: thousands of steps, not millions


def test_a_random_start_and_a_given_start_get_there_too():
    rng = np.random.default_rng(4)
    image = rng.random((40, 50), dtype=np.float32)
    hidden = rng.normal(size=(3, 3))
    target = convolve(image, hidden)
    starts = {}
    for start in ("random", np.ones((3, 3))):
        steps = run(fit_kernel(image, target, (3, 3), start=start, seed=2))
        starts[str(start)[:6]] = steps[0][2]
        np.testing.assert_allclose(steps[-1][2], hidden, atol=1e-4)
    np.testing.assert_array_equal(starts["[[1. 1"], np.ones((3, 3)))
    assert np.abs(starts["random"]).max() > 0
    again = next(fit_kernel(image, target, (3, 3), start="random", seed=2))
    np.testing.assert_array_equal(again[2], starts["random"])


def test_even_kernels_and_other_borders_follow_convolve():
    rng = np.random.default_rng(8)
    image = rng.random((30, 24, 3), dtype=np.float32)
    hidden = rng.normal(size=(2, 4))
    for border in ("reflect101", "constant", "wrap"):
        target = convolve(image, hidden, border=border)
        last = run(fit_kernel(image, target, (2, 4), border=border))[-1]
        np.testing.assert_allclose(last[2], hidden, atol=1e-4)


def test_the_loss_is_convolves_mean_squared_error_and_the_gradient_its_slope():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (17, 23, 3)).astype(np.uint8)
    target = convolve(image, presets.get("sharpen")) + rng.normal(0, 3, (17, 23, 3))
    fit = KernelFit((3, 3))
    fit.set_data(image, target)
    for _ in range(3):
        weights = rng.normal(size=(3, 3))
        assert fit.loss(weights) == pytest.approx(direct_loss(image, target, weights), rel=1e-6)
        gradient = fit.gradient(weights).reshape(3, 3)
        for u, v in ((0, 0), (1, 2), (2, 1)):
            bump = np.zeros((3, 3))
            bump[u, v] = 0.05  # a central difference is exact on a quadratic: no need to be tiny
            slope = (
                direct_loss(image, target, weights + bump)
                - direct_loss(image, target, weights - bump)
            ) / 0.1
            assert gradient[u, v] == pytest.approx(slope, rel=1e-4, abs=1e-9)


def test_noise_on_the_target_ends_at_the_least_squares_kernel_and_the_noise_floor():
    rng = np.random.default_rng(3)
    image = rng.random((60, 60), dtype=np.float32)
    hidden = presets.get("sobel_y").effective
    clean = convolve(image, hidden)
    noisy = clean + rng.normal(0, 0.05, clean.shape).astype(np.float32)
    last = run(fit_kernel(image, noisy, (3, 3)))[-1]
    # the least-squares answer, from the explicit matrix of windows
    padded = np.pad(image.astype(np.float64), 1, mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3)).reshape(-1, 9)
    best, *_ = np.linalg.lstsq(windows, noisy.reshape(-1).astype(np.float64), rcond=None)
    np.testing.assert_allclose(last[2].ravel(), best, atol=1e-5)
    assert 0 < np.abs(last[2] - hidden).max() < 0.05  # near the hidden kernel, not on it
    scale = float(image.max())
    assert last[1] == pytest.approx(0.05**2 / scale**2, rel=0.1)  # the noise's variance


def test_with_fresh_noise_each_round_it_still_converges_only_slower():
    """More noisy examples pull the bowl's bottom onto the hidden kernel: 1e-3 is reached,
    after more rounds than without noise (where the first round is enough)."""
    rng = np.random.default_rng(5)
    image = rng.random((48, 64), dtype=np.float32)
    hidden = gaussian_kernel(1, 0.8).effective
    clean = convolve(image, hidden)

    def rounds_to_reach(noise: float) -> int:
        fit = KernelFit((3, 3))
        for rounds in range(1, 400):
            target = clean + rng.normal(0, noise, clean.shape) if noise else clean
            fit.add_data(image, target)
            for _ in range(300):
                fit.step()
            if np.abs(fit.kernel() - hidden).max() < 1e-3:
                return rounds
        return 10**6

    assert rounds_to_reach(0.0) == 1
    slower = rounds_to_reach(0.02)
    assert 1 < slower < 400
    fit = KernelFit((3, 3))
    fit.set_data(image, clean)  # set_data forgets earlier rounds
    assert fit.pairs == 1


def test_a_flat_image_cannot_pin_the_weights_down_and_the_run_still_ends():
    image = np.full((20, 20), 100, dtype=np.uint8)
    target = convolve(image, presets.get("box"))
    fit = KernelFit((3, 3))
    fit.set_data(image, target)
    assert not fit.identifiable and fit.distance_bound() == np.inf
    steps = run(fit_kernel(image, target, (3, 3), max_steps=500))
    assert steps[-1][0] == 500
    assert steps[-1][2].sum() == pytest.approx(1.0, abs=1e-6)  # only the sum is determined
    assert steps[-1][1] < 1e-12


@pytest.mark.parametrize(
    ("image", "target", "shape", "start", "match"),
    [
        (np.zeros((5, 5)), np.zeros((5, 5)), (3, 3), "zeros", "all zeros"),
        (np.ones((5, 5)), np.ones((4, 5)), (3, 3), "zeros", "shape"),
        (np.ones((5, 5, 3)), np.ones((5, 5)), (3, 3), "zeros", "shape"),
        (np.ones((5, 5)), np.ones((5, 5)), (3, 3), "ones", "start"),
        (np.ones((5, 5)), np.ones((5, 5)), (3, 3), np.ones((2, 2)), "3x3"),
        (np.ones((5, 5)), np.ones((5, 5)), (16, 3), "zeros", "15x15"),
        (np.ones((5, 5)), np.ones((5, 5)), "big", "zeros", "rows, columns"),
        (np.ones((0, 5)), np.ones((0, 5)), (3, 3), "zeros", "non-empty"),
        (np.ones((5, 5)), np.full((5, 5), np.nan), (3, 3), "zeros", "NaN"),
    ],
)
def test_impossible_requests_are_explained(image, target, shape, start, match):
    with pytest.raises(ConvlabError, match=match):
        next(fit_kernel(image, target, shape, start=start))


def test_statistics_scale_away_the_images_range():
    rng = np.random.default_rng(6)
    image = rng.random((12, 12))
    target = convolve(image, presets.get("emboss"))
    small = patch_statistics(image, target, (3, 3))
    large = patch_statistics(image * 255, target * 255, (3, 3))
    for a, b in zip(small[:3], large[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert large[3] == pytest.approx(255 * small[3])
