"""The dispatcher runs the method a cost table says is fastest, and every choice stays exact."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import pytest

from convlab.engine import Kernel, calibration, convolve, dispatch, gaussian_kernel, plan
from convlab.engine import convolve as convolve_function
from convlab.engine.calibration import CostTable
from tests.engine.test_convolve import reference, test_image, tolerance

convolve_module = __import__("convlab.engine.convolve", fromlist=["run_method"])
RANDOM7 = np.random.default_rng(1).uniform(-1, 1, (7, 7))


def table(
    *,
    uint8_per_tap: float = 1.0,
    float32_per_tap: float = 1.0,
    separable_per_tap: float = 1.0,
    to_float: float = 1.0,
    dft: float = 1000.0,
) -> CostTable:
    """Costs proportional to taps, with knobs for the comparisons under test."""
    per_tap = {"uint8": uint8_per_tap, "float32": float32_per_tap}
    return CostTable(
        filter2d={
            depth: tuple((float(n * n), per_tap[depth] * n * n) for n in calibration.FILTER_SIZES)
            for depth in calibration.DEPTHS
        },
        separable={
            depth: tuple((float(n), separable_per_tap * n) for n in calibration.SEPARABLE_LENGTHS)
            for depth in calibration.DEPTHS
        },
        to_float=to_float,
        accumulate=1.0,
        pad=1.0,
        subsample=1.0,
        phase_copy=1.0,
        output=1.0,
        dft_forward=dft,
        dft_correlate=dft,
        call=10.0,
    )


@pytest.fixture(autouse=True)
def forget_the_table() -> Iterator[None]:
    dispatch.forget_trials()
    yield
    calibration.use_table(None)
    dispatch.forget_trials()


def test_integer_frames_go_float32_when_the_costs_say_it_pays() -> None:
    frame = (480, 640, 3)
    no_separable = {"separable_per_tap": 99.0}
    calibration.use_table(table(uint8_per_tap=4.0, to_float=1.0, **no_separable))
    assert plan(frame, RANDOM7) == "filter2d_f32"
    assert plan(frame, RANDOM7, dtype=np.float32) == "filter2d"  # already float32: no copy
    calibration.use_table(table(uint8_per_tap=4.0, to_float=500.0, **no_separable))
    assert plan(frame, RANDOM7) == "filter2d"  # the copy would cost more than it saves
    calibration.use_table(table(**no_separable))
    assert plan(frame, RANDOM7) == "filter2d"


def test_rank_one_kernels_go_separable_only_when_that_is_cheaper() -> None:
    frame = (480, 640, 3)
    gaussian = gaussian_kernel(3, 1.5)  # 7x7, rank 1
    calibration.use_table(table(separable_per_tap=1.0))
    assert plan(frame, gaussian) == "separable"  # 7 taps per pass against 49
    calibration.use_table(table(separable_per_tap=40.0))
    assert plan(frame, gaussian) == "filter2d"


def test_another_method_must_win_by_the_margin() -> None:
    """OpenCV's own call is kept unless another is predicted MARGIN cheaper: noise in the
    calibration can cost a close call, never a clear one."""
    frame = (720, 1280, 3)
    for saving, expected in ((0.05, "filter2d"), (0.5, "filter2d_f32")):
        costs = table(float32_per_tap=1.0 - saving, to_float=1e-9, separable_per_tap=99.0)
        calibration.use_table(costs)
        assert plan(frame, RANDOM7) == expected


def test_our_own_dft_only_beyond_the_calibrated_kernel_sizes() -> None:
    frame = (120, 160)
    calibration.use_table(table(uint8_per_tap=5.0, float32_per_tap=5.0, dft=0.001))
    assert plan(frame, RANDOM7) != "dft"  # 49 taps: the table's own measurements rule
    assert plan(frame, RANDOM7[:5, :5], dilation=10) == "dft"  # 41x41, past the 31x31 measured


def test_stride_takes_the_strided_method_when_it_is_cheaper() -> None:
    calibration.use_table(table(separable_per_tap=99.0))
    assert plan((480, 640, 3), RANDOM7, stride=2).startswith("strided")
    assert plan((480, 640, 3), RANDOM7, stride=1) == "filter2d"


def test_the_ranking_lists_every_candidate_cheapest_first() -> None:
    calibration.use_table(table(uint8_per_tap=3.0))
    image = np.zeros((60, 80, 3), np.uint8)
    job, _ = convolve_module.make_job(
        image, RANDOM7, "reflect101", "same", 1, 1, "correlate", "per_channel"
    )
    ranking = dispatch.ranked(job)
    names = [name for name, _ in ranking]
    assert names[0] == dispatch.choose(job)
    assert {"filter2d", "filter2d_f32", "multi_separable"} <= set(names)
    assert "strided" not in names  # at stride 1 without dilation it would only add passes
    assert [cost for _, cost in ranking] == sorted(cost for _, cost in ranking)


TABLES = {
    "float32 copies": table(uint8_per_tap=9.0, to_float=0.1),
    "separable passes": table(uint8_per_tap=50.0, float32_per_tap=50.0, separable_per_tap=0.1),
    "plain filter2d": table(float32_per_tap=9.0, separable_per_tap=99.0),
}


@pytest.mark.parametrize("costs", TABLES.values(), ids=TABLES.keys())
@pytest.mark.parametrize(
    ("kshape", "stride", "dilation", "border"),
    [((7, 7), 1, 1, "reflect101"), ((5, 4), 2, 1, "wrap"), ((3, 3), 1, 3, "constant")],
)
def test_convolve_runs_the_chosen_method_and_stays_exact(
    monkeypatch: pytest.MonkeyPatch,
    costs: CostTable,
    kshape: tuple[int, int],
    stride: int,
    dilation: int,
    border: str,
) -> None:
    calibration.use_table(costs)
    ran: list[str] = []
    real_run = convolve_module.run_method

    def recording(name, job):
        ran.append(name)
        return real_run(name, job)

    monkeypatch.setattr(dispatch, "run_method", recording)
    image = test_image((23, 31, 3), seed=4)
    weights = np.random.default_rng(4).uniform(-1, 1, kshape)
    kernel = Kernel(weights, offset=0.25)
    result = convolve_function(image, kernel, border=border, stride=stride, dilation=dilation)
    chosen = plan(image.shape, kernel, border=border, stride=stride, dilation=dilation)
    assert ran == [chosen]
    expected = reference(
        image, weights, border=border, stride=stride, dilation=dilation, offset=0.25
    )
    np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, weights))


def test_convolve_is_the_engine_export() -> None:
    assert convolve_function is convolve


def _slowed(
    monkeypatch: pytest.MonkeyPatch,
    delays: dict[str, float],
    *,
    quiet: bool = True,
    spikes: dict[str, float] | None = None,
) -> list[str]:
    """Time the methods on a fake clock: each takes 1 ms plus ``delays[name]`` seconds, and
    on a busy machine every run but one of ``spikes[name]`` seconds more (the other programs'
    turns); record which methods run."""
    ran: list[str] = []
    real_run = dispatch.run_method
    clock = {"ns": 0}
    monkeypatch.setattr(calibration, "machine_is_quiet", lambda: quiet)
    monkeypatch.setattr(dispatch, "time", SimpleNamespace(perf_counter_ns=lambda: clock["ns"]))

    def slowed(name, job):
        spent = 0.001 + delays.get(name, 0.0)
        if name in (spikes or {}) and name in ran:  # its first run was the lucky one
            spent += spikes[name]
        ran.append(name)
        clock["ns"] += int(1e9 * spent)
        return real_run(name, job)

    monkeypatch.setattr(dispatch, "run_method", slowed)
    real_bound = convolve_module.bound

    def bound(name, job):  # the settled method, as a repeated call runs it
        runner = real_bound(name, job)

        def run(frame):
            ran.append(name)
            return runner(frame)

        return run

    monkeypatch.setattr(convolve_module, "bound", bound)
    return ran


def test_large_frames_keep_the_method_measured_fastest_not_the_predicted(monkeypatch) -> None:
    """The prediction says filter2d on the float32 copy; on the real frame it is the slowest,
    so after the trials convolve keeps the one that measured fastest, and every call during the
    trials gives the exact result."""
    calibration.use_table(table(uint8_per_tap=4.0))
    image = test_image((200, 300, 3), seed=5)  # predicted well over MEASURE_FROM_NS
    kernel = Kernel(RANDOM7)
    predicted = plan(image.shape, kernel)
    assert predicted == "filter2d_f32"
    ran = _slowed(monkeypatch, {predicted: 0.02, "filter2d": 0.01})
    job, _ = convolve_module.make_job(
        image, kernel, "reflect101", "same", 1, 1, "correlate", "per_channel"
    )
    candidates = dispatch.shortlist(dispatch.ranked(job))
    assert {"filter2d", predicted} < set(candidates)  # OpenCV's own call is always tried
    expected = reference(image, RANDOM7)
    for _ in range(len(candidates) * dispatch.TRIALS):
        result = convolve_function(image, kernel)
        np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance(image, RANDOM7))
    assert sorted(ran) == sorted(candidates * dispatch.TRIALS)  # each timed TRIALS times
    winner = plan(image.shape, kernel)
    assert winner not in ("filter2d", predicted)
    ran.clear()
    convolve_function(image, kernel)
    assert ran == [winner]


def test_opencvs_own_call_is_kept_unless_measured_clearly_faster(monkeypatch) -> None:
    calibration.use_table(table(uint8_per_tap=4.0))
    image = test_image((200, 300, 3), seed=6)
    kernel = Kernel(RANDOM7)
    _slowed(monkeypatch, {"multi_separable": 0.05, "multi_separable_f32": 0.05})
    # filter2d_f32 and filter2d within the noise of each other: OpenCV's own call stays
    monkeypatch.setattr(dispatch, "MEASURED_MARGIN", 10.0)
    assert convolve_module.tune(image, kernel) == "filter2d"


def test_tune_settles_a_strided_call_on_the_real_frame(monkeypatch) -> None:
    calibration.use_table(table(separable_per_tap=99.0))
    image = test_image((200, 300, 3), seed=7)
    kernel = Kernel(RANDOM7)
    strided = plan(image.shape, kernel, stride=2)
    assert strided.startswith("strided")
    # the stride-1 pass then subsampling is faster on this frame
    _slowed(monkeypatch, {"strided": 0.05, "strided_f32": 0.05})
    chosen = convolve_module.tune(image, kernel, stride=2)
    assert not chosen.startswith("strided")
    assert plan(image.shape, kernel, stride=2) == chosen
    np.testing.assert_allclose(
        convolve_function(image, kernel, stride=2),
        reference(image, RANDOM7, stride=2),
        rtol=0,
        atol=tolerance(image, RANDOM7),
    )


def test_quick_frames_run_the_prediction_without_trials(monkeypatch) -> None:
    calibration.use_table(table(uint8_per_tap=4.0, separable_per_tap=99.0))
    image = test_image((20, 30, 3), seed=8)
    ran = _slowed(monkeypatch, {})
    for _ in range(5):
        convolve_function(image, RANDOM7)
    assert ran == [plan(image.shape, RANDOM7)] * 5


def test_a_busy_machine_goes_by_the_typical_run(monkeypatch) -> None:
    """A method whose runs are mostly stretched by other programs (the one that got through
    untouched was luck) loses there to one that is steady, and wins on a quiet machine."""
    calibration.use_table(table(uint8_per_tap=4.0))
    image = test_image((200, 300, 3), seed=9)
    kernel = Kernel(RANDOM7)
    job, _ = convolve_module.make_job(
        image, kernel, "reflect101", "same", 1, 1, "correlate", "per_channel"
    )
    candidates = dispatch.shortlist(dispatch.ranked(job))
    steady, lucky = candidates[-1], candidates[0]
    delays = dict.fromkeys(candidates, 0.05)
    delays.update({steady: 0.01, lucky: 0.0})
    for quiet, expected in ((False, steady), (True, lucky)):
        dispatch.forget_trials()
        with monkeypatch.context() as patch:
            _slowed(patch, delays, quiet=quiet, spikes={lucky: 0.1})
            assert convolve_module.tune(image, kernel) == expected


def test_a_strided_call_also_tries_what_stride_one_settled_on(monkeypatch) -> None:
    calibration.use_table(table(separable_per_tap=99.0, to_float=30.0))
    image = test_image((200, 300, 3), seed=10)
    kernel = Kernel(RANDOM7)
    job, _ = convolve_module.make_job(
        image, kernel, "reflect101", "same", 2, 1, "correlate", "per_channel"
    )
    assert "filter2d_f32" not in dispatch.shortlist(dispatch.ranked(job))  # by prediction
    slow = dict.fromkeys(convolve_module.METHODS, 0.05)
    slow.pop("filter2d_f32")
    _slowed(monkeypatch, slow)
    assert convolve_module.tune(image, kernel) == "filter2d_f32"
    assert convolve_module.tune(image, kernel, stride=2) == "filter2d_f32"


RANDOM3 = np.random.default_rng(3).uniform(-1, 1, (3, 3))


def test_each_frame_size_gets_its_own_trials_and_their_result_beats_the_prediction(
    monkeypatch,
) -> None:
    """The costs predict the float32 copy 2.5x cheaper at every size; on the real frames it is
    so on the smaller one only, and 2.3x slower than OpenCV's own uint8 call on the larger one
    (OpenCV going multi-threaded there, say). Each size keeps what its own trials measured."""
    calibration.use_table(table(uint8_per_tap=4.0, separable_per_tap=99.0))
    small, large = test_image((200, 300, 3), seed=12), test_image((240, 360, 3), seed=13)
    kernel = Kernel(RANDOM3)
    assert plan(small.shape, kernel) == plan(large.shape, kernel) == "filter2d_f32"
    clock = {"ns": 0}
    monkeypatch.setattr(dispatch, "time", SimpleNamespace(perf_counter_ns=lambda: clock["ns"]))
    monkeypatch.setattr(calibration, "machine_is_quiet", lambda: True)
    real_run = dispatch.run_method
    # ms per method and frame height: the uint8 call is fast on the large frame only
    cost_ms = {("filter2d", 200): 10.0, ("filter2d_f32", 200): 4.0,
               ("filter2d", 240): 7.0, ("filter2d_f32", 240): 16.0}  # fmt: skip

    def timed(name, job):
        clock["ns"] += int(1e6 * cost_ms.get((name, job.image.shape[0]), 50.0))
        return real_run(name, job)

    monkeypatch.setattr(dispatch, "run_method", timed)
    assert convolve_module.tune(small, kernel) == "filter2d_f32"
    assert convolve_module.tune(large, kernel) == "filter2d"
    assert plan(small.shape, kernel) == "filter2d_f32"  # the large frame's trials changed nothing
    for image in (small, large):
        np.testing.assert_allclose(
            convolve_function(image, kernel),
            reference(image, RANDOM3),
            rtol=0,
            atol=tolerance(image, RANDOM3),
        )


def test_opencvs_own_calls_are_tried_however_dear_they_are_predicted() -> None:
    """However far the prediction puts them behind, the uint8 filter2D and, for a rank-1
    kernel, sepFilter2D on the frame as given are always among the trials."""
    calibration.use_table(table(uint8_per_tap=500.0, separable_per_tap=300.0, to_float=0.01))
    cases = ((Kernel(RANDOM7), {"filter2d"}), (gaussian_kernel(3, 1.5), {"filter2d", "separable"}))
    for kernel, baselines in cases:
        job, _ = convolve_module.make_job(
            test_image((300, 400, 3), seed=14), kernel, "reflect101", "same", 1, 1,
            "correlate", "per_channel",
        )  # fmt: skip
        ranking = dispatch.ranked(job)
        assert ranking[0][0].endswith("_f32")
        assert baselines <= set(dispatch.shortlist(ranking))


@pytest.mark.parametrize(("quiet", "expected"), [(True, "filter2d_f32"), (False, "filter2d")])
def test_a_busy_machine_keeps_opencvs_own_call_unless_clearly_beaten(
    monkeypatch, quiet: bool, expected: str
) -> None:
    """Measured 5 % faster than OpenCV's own call: enough on a quiet machine, within the
    noise of a busy one."""
    calibration.use_table(table(uint8_per_tap=4.0, separable_per_tap=99.0))
    image = test_image((200, 300, 3), seed=15)
    kernel = Kernel(RANDOM7)
    job, _ = convolve_module.make_job(
        image, kernel, "reflect101", "same", 1, 1, "correlate", "per_channel"
    )
    slow = dict.fromkeys(dispatch.shortlist(dispatch.ranked(job)), 0.05)
    slow.update({"filter2d": 0.019, "filter2d_f32": 0.018})  # 20 ms and 19 ms a run
    _slowed(monkeypatch, slow, quiet=quiet)
    assert convolve_module.tune(image, kernel) == expected
