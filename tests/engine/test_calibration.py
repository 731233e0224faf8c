"""convolve's measured costs: calibrated once, cached per OpenCV/numpy/CPU, and never trusted
blindly from disk (an odd, oversized, corrupt or foreign cache file means calibrating again)."""

from __future__ import annotations

import json
import math
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from convlab.engine import calibration
from convlab.engine.calibration import CostTable


def fake_table(scale: float = 1.0) -> CostTable:
    return CostTable(
        filter2d={
            depth: tuple((float(n * n), scale * n * n) for n in calibration.FILTER_SIZES)
            for depth in calibration.DEPTHS
        },
        separable={
            depth: tuple((float(n), scale * n) for n in calibration.SEPARABLE_LENGTHS)
            for depth in calibration.DEPTHS
        },
        **dict.fromkeys(calibration._SCALARS, scale),
    )


@pytest.fixture(autouse=True)
def own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Each test: its own cache folder, nothing calibrated yet, and afterwards nothing left."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(calibration.CACHE_ENV, str(folder))
    calibration.use_table(None)
    yield folder
    calibration.use_table(None)


@pytest.fixture
def counted_calibration(monkeypatch: pytest.MonkeyPatch) -> list[CostTable]:
    """calibrate() replaced by a quick fake that records each call."""
    made: list[CostTable] = []

    def fake() -> CostTable:
        made.append(fake_table(2.0))
        return made[-1]

    monkeypatch.setattr(calibration, "calibrate", fake)
    monkeypatch.setattr(calibration, "machine_is_quiet", lambda: True)
    return made


def test_calibration_measures_every_primitive() -> None:
    table = calibration.calibrate(shape=(48, 64), budget_s=0.0)
    assert table.source == "measured"
    for depth in calibration.DEPTHS:
        assert [int(taps) for taps, _ in table.filter2d[depth]] == [
            n * n for n in calibration.FILTER_SIZES
        ]
        assert len(table.separable[depth]) == len(calibration.SEPARABLE_LENGTHS)
        for _, cost in (*table.filter2d[depth], *table.separable[depth]):
            assert math.isfinite(cost) and cost > 0
    for name in calibration._SCALARS:
        assert math.isfinite(getattr(table, name)) and getattr(table, name) > 0


def test_the_table_interpolates_between_measured_sizes() -> None:
    table = fake_table()
    assert table.filter_cost("uint8", 49) == pytest.approx(49.0)
    assert table.filter_cost("uint8", 56) == pytest.approx(56.0)  # between 7x7 and 8x8
    assert table.filter_cost("int16", 9) == table.filter_cost("uint8", 9)  # integer depths
    assert table.separable_cost("float32", 3, 7) == pytest.approx(5.0)
    assert table.filter_cost("float32", 2000) > table.filter_cost("float32", 961)


def test_a_table_survives_the_trip_through_the_cache(own_cache: Path) -> None:
    table = calibration.calibrate(shape=(32, 40), budget_s=0.0)
    path = own_cache / "costs.json"
    assert calibration.save(path, table)
    loaded = calibration.load(path)
    assert loaded is not None and loaded.source == "cache"
    assert loaded.filter2d == table.filter2d and loaded.separable == table.separable
    assert loaded.dft_correlate == table.dft_correlate
    assert not [p for p in own_cache.iterdir() if p.name.startswith(".costs-")]  # no temp left


def _cache_file(folder: Path) -> Path:
    path = calibration.cache_path()
    assert path.parent == folder
    return path


def _valid_text() -> dict:
    return {"environment": calibration.environment(), "costs": fake_table().to_json()}


BAD_FILES = {
    "not json": b"\x00\xffnot json at all",
    "a json list": b"[1, 2, 3]",
    "other opencv": json.dumps(
        {**_valid_text(), "environment": {**calibration.environment(), "opencv": "0.0"}}
    ).encode(),
    "missing costs": json.dumps({"environment": calibration.environment()}).encode(),
    "negative cost": json.dumps(_valid_text()).replace('"pad": 1.0', '"pad": -1.0').encode(),
    "nan cost": json.dumps(_valid_text()).replace('"call": 1.0', '"call": NaN').encode(),
    "a bool": json.dumps(_valid_text()).replace('"accumulate": 1.0', '"accumulate": true').encode(),
    "deep nesting": b"[" * 100_000,
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_cache_file_is_ignored_and_replaced(
    own_cache: Path, counted_calibration: list[CostTable], content: bytes
) -> None:
    path = _cache_file(own_cache)
    own_cache.mkdir()
    path.write_bytes(content)
    assert calibration.load(path) is None
    table = calibration.cost_table()
    assert counted_calibration == [table]
    reread = calibration.load(path)  # rewritten with the fresh measurements
    assert reread is not None and reread.filter2d == table.filter2d


def test_an_oversized_cache_file_is_not_read(own_cache: Path) -> None:
    own_cache.mkdir()
    path = own_cache / "huge.json"
    with open(path, "wb") as stream:
        stream.truncate(calibration.MAX_CACHE_BYTES + 1)
    assert calibration.load(path) is None


def test_a_folder_in_place_of_the_cache_file_is_ignored(
    own_cache: Path, counted_calibration: list[CostTable]
) -> None:
    _cache_file(own_cache).mkdir(parents=True)
    assert calibration.load(calibration.cache_path()) is None
    assert calibration.cost_table() is counted_calibration[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_in_place_of_the_cache_file_is_not_opened(
    own_cache: Path, counted_calibration: list[CostTable]
) -> None:
    own_cache.mkdir()
    os.mkfifo(_cache_file(own_cache))  # opening it for reading would block forever
    assert calibration.cost_table() is counted_calibration[0]


def test_an_unwritable_cache_folder_only_means_calibrating_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, counted_calibration: list[CostTable]
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(calibration.CACHE_ENV, str(blocker / "cache"))
    assert calibration.cost_table() is counted_calibration[0]
    calibration.use_table(None)
    assert calibration.cost_table() is counted_calibration[1]  # nothing was cached


def test_a_cached_table_is_used_without_measuring(
    own_cache: Path, counted_calibration: list[CostTable]
) -> None:
    calibration.save(calibration.cache_path(), fake_table(3.0))
    table = calibration.cost_table()
    assert counted_calibration == []
    assert table.source == "cache" and table.pad == 3.0
    assert calibration.cost_table() is table  # kept in memory from then on


def test_costs_measured_on_a_busy_machine_are_not_cached(
    monkeypatch: pytest.MonkeyPatch, own_cache: Path, counted_calibration: list[CostTable]
) -> None:
    monkeypatch.setattr(calibration, "machine_is_quiet", lambda: False)
    calibration.cost_table()
    assert not calibration.cache_path().exists()


def test_a_new_opencv_gets_a_new_calibration(
    monkeypatch: pytest.MonkeyPatch, own_cache: Path, counted_calibration: list[CostTable]
) -> None:
    calibration.cost_table()
    first = calibration.cache_path()
    monkeypatch.setattr(calibration.cv2, "__version__", "99.0.0")
    assert calibration.cache_path() != first
    calibration.use_table(None)
    calibration.cost_table()
    assert len(counted_calibration) == 2


def test_while_one_thread_calibrates_the_others_do_not_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow() -> CostTable:
        started.set()
        release.wait(5)
        return fake_table()

    monkeypatch.setattr(calibration, "calibrate", slow)
    worker = calibration.calibrate_in_background()
    assert started.wait(5)
    try:
        assert calibration.cost_table(wait=False) is calibration.PROVISIONAL
    finally:
        release.set()
        worker.join(5)
    assert calibration.cost_table(wait=False) is not calibration.PROVISIONAL


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"XDG_CACHE_HOME": "/x/cache"}, Path("/x/cache/convlab")),
        ("linux", {"XDG_CACHE_HOME": "relative"}, Path.home() / ".cache" / "convlab"),
        ("linux", {}, Path.home() / ".cache" / "convlab"),
        ("darwin", {}, Path.home() / "Library" / "Caches" / "ConvLab"),
        ("win32", {"LOCALAPPDATA": "/appdata"}, Path("/appdata/ConvLab/Cache")),
    ],
)
def test_the_cache_folder_is_the_platforms(
    monkeypatch: pytest.MonkeyPatch, platform: str, env: dict, expected: Path
) -> None:
    monkeypatch.delenv(calibration.CACHE_ENV)
    for name in ("XDG_CACHE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "platform", platform)
    assert calibration.cache_dir() == expected


def test_the_background_start_loads_a_cached_table_without_its_delay(
    own_cache: Path, counted_calibration: list[CostTable]
) -> None:
    calibration.save(calibration.cache_path(), fake_table(3.0))
    worker = calibration.calibrate_in_background(delay_s=30.0)
    worker.join(5)
    assert not worker.is_alive()
    assert calibration.cost_table(wait=False).source == "cache"
    assert counted_calibration == []


@pytest.mark.parametrize(
    ("step_cpu", "least", "most", "expected"),
    [(0.045, 3, 9, 4), (0.1, 3, 9, 3), (0.001, 3, 9, 9), (0.045, 0, 9, 4), (0.3, 0, 9, 1)],
)
def test_rounds_are_counted_in_cpu_time_within_the_budget(
    monkeypatch: pytest.MonkeyPatch, step_cpu: float, least: int, most: int, expected: int
) -> None:
    """Each round costs ``step_cpu`` of CPU and, other programs having the cores, ten times
    that of wall time: the number of rounds depends on the CPU time alone."""
    now = {"cpu": 100.0, "wall": 5.0}
    fake = SimpleNamespace(process_time=lambda: now["cpu"], perf_counter=lambda: now["wall"])
    monkeypatch.setattr(calibration, "time", fake)
    clock = calibration._Clock()

    def step() -> None:
        now["cpu"] += step_cpu
        now["wall"] += 10 * step_cpu

    assert clock.repeat(step, least, most, budget_s=0.2) == expected
    assert clock.cpu() == pytest.approx(expected * step_cpu)
    assert clock.cpu() <= 0.2 + 1e-9 or expected <= max(least, 1)
