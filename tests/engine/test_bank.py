"""A bank of kernels on one frame, sharing work, gives each kernel's own exact result."""

from __future__ import annotations

from concurrent.futures import Future

import cv2
import numpy as np
import pytest

from convlab.engine import conv_methods, convolve
from convlab.engine.bank import SHARED_DFT, BankPlan, bank_responses, common_pads, plan_bank
from convlab.engine.bank_presets import blur_ladder, edge_bank, gabor_bank
from convlab.engine.kernels import Kernel
from convlab.engine.tiled_dft import TiledSpectrum, multiply_by_conjugate, tile_shape
from tests.engine.test_convolve import BORDERS, reference, tolerance
from tests.engine.test_dispatch import table


def mixed_bank(seed: int = 0) -> list[Kernel]:
    """Odd, even, flat, tall, rank-1 and full-rank kernels, with divisors and offsets."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 3), (4, 4), (1, 7), (9, 2), (1, 1), (11, 11), (13, 13), (15, 15), (2, 5)]
    kernels = [
        Kernel(rng.uniform(-1, 1, shape), divisor=float(rng.choice([1, 2, -3])), offset=index / 4)
        for index, shape in enumerate(shapes)
    ]
    return [*kernels, blur_ladder()[2], edge_bank()[0]]


PLANS = {
    "measured": None,
    "float32 frame": table(uint8_per_tap=50, separable_per_tap=500, dft=1e3),
    "uint8 frame": table(float32_per_tap=50, separable_per_tap=500, dft=1e3),
    "shared dft": table(uint8_per_tap=50, float32_per_tap=50, separable_per_tap=500, dft=0.01),
}


@pytest.mark.parametrize("costs", PLANS.values(), ids=PLANS.keys())
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_every_kernel_gets_its_own_exact_result(costs, border: str, dtype: type) -> None:
    rng = np.random.default_rng(1)
    gray = rng.integers(0, 256, (37, 53)).astype(dtype)
    kernels = mixed_bank()
    plan = plan_bank(gray.shape, kernels, border=border, uint8_frame=dtype == np.uint8,
                     table=costs)  # fmt: skip
    if costs is PLANS["shared dft"]:
        assert plan.shared_dft
    results = bank_responses(gray, kernels, border=border, plan=plan)
    assert len(results) == len(kernels)
    for kernel, result in zip(kernels, results):
        assert result.shape == gray.shape and result.dtype == np.float32
        assert result.flags.c_contiguous
        expected = reference(
            gray, kernel.weights, border=border, divisor=kernel.divisor, offset=kernel.offset
        )
        np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(gray, kernel.effective))


def test_the_plan_shares_the_transform_only_when_it_pays() -> None:
    large = [Kernel(np.random.default_rng(n).uniform(-1, 1, (n, n))) for n in (11, 13, 15) * 3]
    cheap_dft = table(uint8_per_tap=50, float32_per_tap=50, separable_per_tap=500, dft=1.0)
    plan = plan_bank((720, 1280), large, table=cheap_dft)
    assert all(step == (SHARED_DFT, SHARED_DFT) for step in plan.steps)
    # one kernel alone does not pay for the forward transform of the frame
    dear_forward = table(uint8_per_tap=1.0, float32_per_tap=1.0, separable_per_tap=500, dft=60.0)
    assert not plan_bank((720, 1280), large[:1], table=dear_forward).shared_dft
    small = edge_bank()
    assert not plan_bank((720, 1280), small, table=table(dft=1e3)).shared_dft


def test_the_default_bank_plans_exactly_on_a_real_frame() -> None:
    """The 16-map bank of the benchmark, with the measured costs, on a photo-sized frame."""
    gray = cv2.resize(
        np.random.default_rng(2).integers(0, 256, (45, 80), dtype=np.uint8), (320, 180)
    )
    kernels = gabor_bank() + edge_bank()[:4] + blur_ladder()
    for kernel, result in zip(kernels, bank_responses(gray, kernels)):
        np.testing.assert_allclose(
            result, convolve(gray, kernel), rtol=0, atol=tolerance(gray, kernel.effective)
        )


def test_common_pads_serve_the_largest_kernel_on_each_side() -> None:
    kernels = [Kernel(np.ones((4, 2))), Kernel(np.ones((3, 9))), Kernel(np.ones((1, 1)))]
    assert common_pads(kernels) == ((1, 2), (4, 4))


def test_an_empty_bank_and_a_bad_frame() -> None:
    assert bank_responses(np.zeros((4, 4), np.uint8), []) == []
    with pytest.raises(ValueError, match="2-D"):
        bank_responses(np.zeros((4, 4, 3), np.uint8), edge_bank())


@pytest.mark.parametrize("plane_shape", [(1, 1), (30, 40), (270, 270), (300, 17), (520, 700)])
def test_tiles_give_the_valid_correlation_of_every_smaller_kernel(plane_shape) -> None:
    rng = np.random.default_rng(3)
    plane = rng.uniform(0, 255, (plane_shape[0] + 14, plane_shape[1] + 14)).astype(np.float32)
    spectrum = TiledSpectrum(plane, (15, 15))
    for shape in ((15, 15), (11, 11), (3, 5), (1, 1), (15, 2)):
        weights = rng.uniform(-1, 1, shape).astype(np.float32)
        result = spectrum.correlate(weights)
        expected = cv2.filter2D(
            plane, cv2.CV_32F, weights, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT
        )[: plane.shape[0] - shape[0] + 1, : plane.shape[1] - shape[1] + 1]
        assert result.shape == expected.shape
        np.testing.assert_allclose(result, expected, rtol=0, atol=2e-5 * 255 * shape[0] * shape[1])


def test_tile_sizes_follow_opencvs_rule() -> None:
    assert tile_shape((15, 15)) == (256, 256)
    assert tile_shape((3, 31)) == (256, 256)
    rows, cols = tile_shape((61, 61))
    assert rows == cols >= round(61 * 4.5) + 60


def test_side_by_side_keeps_the_order_and_needs_no_pool_thread(monkeypatch) -> None:
    class IdlePool:  # accepts work and never runs it, like a pool whose threads get no CPU
        def submit(self, *_: object) -> Future:
            return Future()

    tasks = [lambda n=n: np.full(2, n, np.float32) for n in range(7)]
    assert [r[0] for r in conv_methods.run_side_by_side(tasks)] == list(range(7))
    monkeypatch.setattr(conv_methods, "_band_threads", lambda: 3)
    monkeypatch.setattr(conv_methods, "_band_pool", IdlePool)
    assert [r[0] for r in conv_methods.run_side_by_side(tasks)] == list(range(7))


def test_side_by_side_passes_an_error_on() -> None:
    def broken() -> np.ndarray:
        raise ZeroDivisionError("a task failed")

    with pytest.raises(ZeroDivisionError):
        conv_methods.run_side_by_side([broken] * 4)


def test_a_plan_says_what_it_needs() -> None:
    plan = BankPlan((("uint8", "filter2d"), (SHARED_DFT, SHARED_DFT)), 1.0)
    assert plan.shared_dft and plan.needs_float
    assert not BankPlan((("uint8", "filter2d"),), 1.0).needs_float


@pytest.mark.parametrize("shape", [(256, 240), (243, 225), (250, 257), (7, 6), (6, 7), (2, 2)])
def test_the_spectrum_product_is_opencvs_for_every_parity(shape) -> None:
    rng = np.random.default_rng(5)
    tiles = [cv2.dft(rng.uniform(0, 255, shape).astype(np.float32)) for _ in range(3)]
    kernel = cv2.dft(rng.uniform(-1, 1, shape).astype(np.float32))
    stack = np.stack(tiles)
    products = multiply_by_conjugate(stack, kernel, np.empty_like(stack))
    for tile, product in zip(tiles, products):
        expected = cv2.mulSpectrums(tile, kernel, 0, conjB=True)
        np.testing.assert_allclose(product, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())


def test_transform_jobs_spread_over_the_cores_and_must_pay_for_the_forward() -> None:
    """A transform job runs on one thread while OpenCV's filter already uses every core: with
    two cores a transform twice as dear per kernel as the filter breaks even, not below."""
    large = [Kernel(np.random.default_rng(n).uniform(-1, 1, (n, n))) for n in (11, 13, 15) * 4]
    costs = table(uint8_per_tap=0.5, float32_per_tap=0.5, separable_per_tap=500, dft=60.0)
    # per sample: filter2D 60 (11x11) to 112 (15x15); transform 69 with the margin, 34.5 on two
    assert all(step == (SHARED_DFT, SHARED_DFT) for step in
               plan_bank((720, 1280), large, table=costs, threads=2).steps)  # fmt: skip
    alone = plan_bank((720, 1280), large, table=costs, threads=1)
    assert [frame == SHARED_DFT for frame, _ in alone.steps] == [n > 11 for n in (11, 13, 15) * 4]
    sharing = plan_bank((720, 1280), large, table=costs, threads=2)
    assert sharing.predicted_ns < alone.predicted_ns


def test_a_kernel_spectrum_is_kept_until_the_kernel_changes() -> None:
    from convlab.engine.tiled_dft import kernel_spectrum

    rng = np.random.default_rng(7)
    weights = rng.uniform(-1, 1, (13, 13)).astype(np.float32)
    first = kernel_spectrum(weights, (256, 256))
    assert kernel_spectrum(weights.copy(), (256, 256)) is first  # the next frame's lookup
    assert kernel_spectrum(weights, (256, 240)) is not first  # another tile size
    gray = rng.integers(0, 256, (300, 410), dtype=np.uint8)
    kernels = [Kernel(weights), Kernel(np.rot90(weights))]
    plan = BankPlan(((SHARED_DFT, SHARED_DFT),) * 2, 0.0)
    for _ in range(2):  # edit one weight, as the grid does, and filter the next frame
        results = bank_responses(gray, kernels, plan=plan)
        for kernel, result in zip(kernels, results):
            expected = reference(gray, kernel.weights, border="reflect101")
            np.testing.assert_allclose(
                result, expected, rtol=0, atol=tolerance(gray, kernel.effective)
            )
        changed = kernels[0].weights.copy()
        changed[6, 6] += 5.0
        kernels[0] = Kernel(changed)
    assert not np.array_equal(kernel_spectrum(np.float32(kernels[0].weights), (256, 256)), first)
