"""A call repeated with the same Kernel and frame layout skips the checks and the dispatcher's
bookkeeping; its results stay those of the numpy loop, and it follows the dispatcher's choice."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from convlab.engine import Kernel, calibration, convolve, dispatch, gaussian_kernel, log_kernel
from convlab.engine.conv_methods import (
    METHOD_NAMES,
    SCRATCH_LIMIT,
    bound,
    kernel_terms,
    run_method,
)
from convlab.errors import KernelError
from tests.engine.test_convolve import reference, test_image, tolerance
from tests.engine.test_dispatch import table

convolve_module = __import__("convlab.engine.convolve", fromlist=["make_job"])
methods_module = __import__("convlab.engine.conv_methods", fromlist=["float32_copy"])
RANDOM5 = np.random.default_rng(11).uniform(-1, 1, (5, 5))
GAUSSIAN5 = gaussian_kernel(2, 1.0)
LOG5 = log_kernel(2, 0.8)  # rank 3: three separable passes, two into the reused buffer


@pytest.fixture(autouse=True)
def fresh_choices() -> Iterator[None]:
    dispatch.forget_trials()
    yield
    calibration.use_table(None)
    dispatch.forget_trials()


SETTINGS = [
    {},
    {"border": "wrap"},
    {"border": "constant", "padding": 3},
    {"padding": "valid"},
    {"stride": 2},
    {"dilation": 2, "border": "replicate"},
    {"mode": "convolve", "border": "reflect"},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(map(str, s.values())))
@pytest.mark.parametrize("weights", [RANDOM5, GAUSSIAN5.effective], ids=["full", "rank1"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_repeated_calls_equal_the_numpy_loop(settings: dict, weights: np.ndarray, dtype) -> None:
    kernel = Kernel(weights, offset=0.5)
    flipped = weights[::-1, ::-1] if settings.get("mode") == "convolve" else weights
    loop_settings = {k: v for k, v in settings.items() if k != "mode"}
    for seed in range(4):  # new pixels every call: nothing but the layout may be reused
        image = test_image((37, 41, 3), seed=seed).astype(dtype)
        result = convolve(image, kernel, **settings)
        expected = reference(image, flipped, offset=0.5, **loop_settings)
        assert result.dtype == np.float32 and result.flags.c_contiguous
        np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, weights))


def test_repeats_of_gray_and_single_channel_frames_keep_their_shapes() -> None:
    kernel = Kernel(RANDOM5)
    rgb = test_image((30, 20, 3), seed=1)
    one = test_image((30, 20, 1), seed=2)
    for _ in range(3):
        gray = convolve(rgb, kernel, channels="gray")
        single = convolve(one, kernel)
        assert gray.shape == (30, 20) and single.shape == (30, 20, 1)
    luma = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(gray, reference(luma, RANDOM5), rtol=0, atol=1e-3)
    np.testing.assert_allclose(single, reference(one, RANDOM5), rtol=0, atol=1e-3)


def test_a_repeat_still_refuses_what_a_first_call_would() -> None:
    kernel = Kernel(RANDOM5)
    image = test_image((20, 20, 3), seed=3)
    convolve(image, kernel, stride=1)
    convolve(image, kernel, stride=1)
    with pytest.raises(KernelError, match="stride"):
        convolve(image, kernel, stride=True)
    with pytest.raises(KernelError, match="stride"):
        convolve(image, kernel, stride=0)
    convolve(image, kernel, channels="gray")
    with pytest.raises(Exception, match="gray"):
        convolve(test_image((20, 20, 5), seed=3), kernel, channels="gray")
    # a numpy number is checked in full, and means the same
    np.testing.assert_array_equal(
        convolve(image, kernel, stride=np.int64(2)), convolve(image, kernel, stride=2)
    )


def _probe_job(image: np.ndarray, weights: np.ndarray, **settings):
    args = {"border": "reflect101", "padding": "same", "stride": 1, "dilation": 1}
    args.update(settings)
    job, _ = convolve_module.make_job(
        image, weights, args["border"], args["padding"], args["stride"], args["dilation"],
        "correlate", "per_channel",
    )  # fmt: skip
    probe = np.broadcast_to(np.zeros((), image.dtype), image.shape)
    return job, convolve_module.replace(job, image=probe)


@pytest.mark.parametrize("name", METHOD_NAMES)
@pytest.mark.parametrize(
    "settings", [{}, {"border": "wrap"}, {"stride": 2}, {"dilation": 2}, {"padding": "valid"}]
)
@pytest.mark.parametrize("weights", [RANDOM5, GAUSSIAN5.effective], ids=["full", "rank1"])
def test_a_bound_method_computes_what_the_method_computes(name, settings, weights) -> None:
    if name.startswith("separable") and len(kernel_terms(weights)) > 1:
        pytest.skip("separable needs a rank-1 kernel")
    image = test_image((33, 47, 3), seed=5)
    job, template = _probe_job(image, weights, **settings)
    np.testing.assert_array_equal(bound(name, template)(image), run_method(name, job))


def _recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every method run, whether the dispatcher or a settled repeat runs it."""
    ran: list[str] = []
    real_run, real_bound = dispatch.run_method, convolve_module.bound

    def run(name, job):
        ran.append(name)
        return real_run(name, job)

    def bind(name, job):
        runner = real_bound(name, job)

        def counted(frame):
            ran.append(name)
            return runner(frame)

        return counted

    monkeypatch.setattr(dispatch, "run_method", run)
    monkeypatch.setattr(convolve_module, "bound", bind)
    return ran


def test_repeats_follow_a_new_cost_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Injected costs: separable passes cheap, then dear; the repeated call follows."""
    ran = _recorded(monkeypatch)
    image = test_image((24, 32, 3), seed=6)  # quick: the prediction decides, no trials
    calibration.use_table(table(separable_per_tap=0.1))
    for _ in range(3):
        convolve(image, GAUSSIAN5)
    calibration.use_table(table(separable_per_tap=99.0))
    for _ in range(2):
        result = convolve(image, GAUSSIAN5)
    assert ran == ["separable"] * 3 + ["filter2d"] * 2
    np.testing.assert_allclose(
        result, reference(image, GAUSSIAN5.effective), rtol=0, atol=tolerance(image, RANDOM5)
    )


def test_repeats_run_trials_again_once_the_choices_are_forgotten(monkeypatch) -> None:
    ran = _recorded(monkeypatch)
    calibration.use_table(table(uint8_per_tap=4.0, separable_per_tap=99.0))
    image = test_image((200, 300, 3), seed=7)  # predicted slow enough for trials
    kernel = Kernel(RANDOM5)
    job, _ = _probe_job(image, RANDOM5)
    candidates = dispatch.shortlist(dispatch.ranked(job))
    trial_runs = len(candidates) * dispatch.TRIALS
    for _ in range(trial_runs + 2):
        convolve(image, kernel)
    assert sorted(ran[:trial_runs]) == sorted(candidates * dispatch.TRIALS)
    winner = dispatch.choose(job)
    assert ran[trial_runs:] == [winner, winner]
    dispatch.forget_trials()
    ran.clear()
    convolve(image, kernel)
    assert ran[0] in candidates and len(ran) == 1
    assert dispatch.settled(dispatch.job_key(job), calibration.cost_table()) is None


@pytest.mark.parametrize("limit", [SCRATCH_LIMIT, 10])  # the reused buffer, and a fresh copy
@pytest.mark.parametrize(
    "name",
    ["filter2d_f32", "separable_f32", "strided_f32", "multi_separable", "multi_separable_f32"],
)
@pytest.mark.parametrize("border", ["constant", "wrap"])
def test_reused_buffers_never_leak_into_results(monkeypatch, limit, name, border) -> None:
    """Each frame's float32 copy, and each separable pass after the first, goes into the same
    buffer: an earlier result must not change when the next frame is filtered, and each must
    be its own frame's."""
    monkeypatch.setattr(methods_module, "SCRATCH_LIMIT", limit)
    frames = [test_image((29, 35, 3), seed=seed) for seed in (20, 21, 22)]
    stride = 2 if name.startswith("strided") else 1
    kernel = LOG5 if name.startswith("multi") else GAUSSIAN5
    results = [
        convolve(frame, kernel, method=name, border=border, stride=stride) for frame in frames
    ]
    for frame, result in zip(frames, results):
        expected = reference(frame, kernel.effective, border=border, stride=stride)
        np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(frame, RANDOM5))
    copy = methods_module.float32_copy(frames[0])
    assert copy.dtype == np.float32 and np.array_equal(copy, frames[0])
