"""Exports are computed and written strip by strip, and give the files a whole-image export
would: the .npy holds convolve's exact numbers, the PNG the pixels the window shows."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from convlab.engine import Kernel, convolve, presets, strips
from convlab.engine.display import to_rgb
from convlab.engine.export import (
    ExportCancelledError,
    export_feature_maps,
    export_output,
    write_png,
)
from convlab.engine.file_streams import NpyStream, PngStream
from convlab.engine.pipeline import ConvSettings, DisplaySettings, Pipeline, apply_stages
from convlab.engine.strips import strip_convolution

REPO = Path(__file__).resolve().parents[2]
RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def many_strips(monkeypatch):
    """Strips of a few rows, so that small pictures are cut into dozens of them."""
    monkeypatch.setattr(strips, "STRIP_BYTES", 6000)


def picture(height: int = 150, width: int = 96) -> np.ndarray:
    """A smooth scene with edges and noise: every display range has something to show."""
    rows, cols = np.mgrid[0:height, 0:width]
    scene = np.stack([rows * 1.5, cols * 2.5, (rows + cols) % 64 * 4], axis=2)
    scene[height // 3 : height // 2, width // 4 : width // 2] = 250
    scene += RNG.normal(0, 6, scene.shape)
    return np.clip(scene, 0, 255).astype(np.uint8)


def read_png(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image


DISPLAYS = [
    DisplaySettings(),
    DisplaySettings(mode="abs", colormap="viridis"),
    DisplaySettings(mode="offset"),
    DisplaySettings(mode="minmax"),  # the whole map's range, from a first pass
    DisplaySettings(mode="minmax", colormap="magma", robust=True),
    DisplaySettings(mode="signed", colormap="diverging"),
    DisplaySettings(mode="signed", colormap="bwr", robust=True),
    DisplaySettings(mode="minmax", fixed_range=(-50.0, 80.0)),
]
CONVS = [
    ConvSettings(),
    ConvSettings(stride=2, padding="valid", border="wrap"),
    ConvSettings(channels="gray", dilation=2, mode="convolve", border="constant"),
    ConvSettings(channels="sum", padding=3, stride=3, border="reflect"),
]


@pytest.mark.parametrize("display", DISPLAYS, ids=lambda d: f"{d.mode}-{d.colormap}-{d.robust}")
@pytest.mark.parametrize("conv", CONVS, ids=lambda c: f"{c.channels}-{c.stride}-{c.border}")
def test_the_output_png_is_what_the_window_shows(tmp_path, display, conv):
    frame = picture(300, 200)  # 60,000 pixels: the robust range samples every 9th value
    pipeline = Pipeline(kernel=presets.get("sobel_x"), conv=conv, display=display)
    shown = pipeline.run(frame).output_image
    path = export_output(pipeline, frame, tmp_path / "out.png", "png")
    assert np.array_equal(read_png(path), shown)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize("conv", CONVS, ids=lambda c: f"{c.channels}-{c.stride}-{c.border}")
def test_the_output_npy_is_what_np_save_writes_of_convolve(tmp_path, conv):
    frame = picture()
    kernel = Kernel(RNG.normal(size=(4, 5)), divisor=3.0, offset=7.0)
    pipeline = Pipeline(kernel=kernel, conv=conv)
    path = export_output(pipeline, frame, tmp_path / "out.npy", "npy")
    expected = io.BytesIO()
    np.save(expected, convolve(frame, kernel, **conv.as_kwargs()))
    assert path.read_bytes() == expected.getvalue()


def test_a_range_over_a_map_with_nan_and_infinities_is_the_whole_maps(tmp_path):
    frame = picture().astype(np.float32)
    frame[5, 5] = np.nan
    frame[40:, 7] = np.inf  # strips with and without non-finite values
    frame[-1, -1] = -np.inf
    for display in DISPLAYS:
        pipeline = Pipeline(kernel=presets.get("box"), display=display)
        path = export_output(pipeline, frame, tmp_path / "odd.png", "png")
        assert np.array_equal(read_png(path), pipeline.run(frame).output_image), display


def bank_reference(pipeline: Pipeline, frame: np.ndarray):
    """Each map computed whole, as the exported maps must be: the bank's kernels on the gray
    frame (by the method a strip uses), ReLU and pooling, the bank's display."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    border = pipeline.conv.border
    responses = []
    for kernel in pipeline.bank:
        method = strip_convolution(gray, kernel, border=border).method
        responses.append(convolve(gray, kernel, border=border, method=method))
    maps = [apply_stages(r, relu=pipeline.relu, pool=pipeline.pool) for r in responses]
    magnitude = apply_stages(cv2.magnitude(*responses[:2]), relu=False, pool=pipeline.pool)
    return maps, magnitude


@pytest.mark.parametrize(("relu", "pool", "shape"), [(False, False, (150, 96)),
                                                     (True, True, (151, 97)),  # odd: dropped
                                                     (False, True, (1, 40))])  # fmt: skip
def test_feature_maps_are_the_maps_computed_whole(tmp_path, relu, pool, shape):
    frame = picture(*shape)
    bank = (presets.get("sobel_x"), presets.get("sobel_y"), Kernel(RNG.normal(size=(8, 8))))
    display = DisplaySettings(mode="signed", colormap="diverging", robust=True)
    pipeline = Pipeline(bank=bank, relu=relu, pool=pool, combine=True, bank_display=display,
                        conv=ConvSettings(border="replicate"))  # fmt: skip
    written = export_feature_maps(pipeline, frame, tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in tmp_path.iterdir())
    maps, magnitude = bank_reference(pipeline, frame)
    for stem, values in zip(("01_sobel_x", "02_sobel_y", "03_custom"), maps):
        assert np.array_equal(np.load(tmp_path / f"{stem}.npy"), values)
        assert np.array_equal(read_png(tmp_path / f"{stem}.png"), display.render(values))
    # cv2.magnitude rounds an element by its vector or its scalar path, by the array's address
    # in memory: the same inputs give the same magnitude to 1 ulp, not always bit for bit
    combined = tmp_path / "combined_gradient_magnitude"
    np.testing.assert_allclose(np.load(f"{combined}.npy"), magnitude, rtol=3e-7, atol=0)
    shown = to_rgb(magnitude, "minmax", colormap="magma").astype(int)
    assert np.abs(read_png(f"{combined}.png") - shown).max() <= 1


@pytest.mark.parametrize("negated", [False, True])
def test_auto_draws_one_exported_map_as_the_whole_bank_decides(tmp_path, negated):
    """Auto picks the bank's mapping from every map (no kernel sums to 0 here): a map
    exported alone is drawn as the bank shows it, Signed as soon as another map is mostly
    negative."""
    frame = picture()
    other = Kernel(np.full((3, 3), -1.0 if negated else 0.5))
    bank = (presets.get("box"), other)
    pipeline = Pipeline(bank=bank, conv=ConvSettings(border="replicate"))
    export_feature_maps(pipeline, frame, tmp_path, ("png",), only=0)
    maps, _ = bank_reference(pipeline, frame)
    choice = pipeline.bank_display.choose_for_bank(bank, maps)
    assert choice.mode == ("signed" if negated else "clip")
    shown = pipeline.bank_display.render(maps[0], pipeline.bank_display.ranged(choice, maps[0]))
    assert np.array_equal(read_png(tmp_path / "01_box.png"), shown)
    assert [p.name for p in tmp_path.iterdir()] == ["01_box.png"]


def test_full_scale_maps_on_screen_and_exported_agree(tmp_path):
    """The window's full-scale maps (one shared computation for the bank) and the export
    (kernel by kernel) may round differently in the last bits, never more."""
    frame = picture()
    pipeline = Pipeline(bank=(presets.get("laplacian"),), map_scale="full")
    shown = pipeline.run(frame).maps[0]
    export_feature_maps(pipeline, frame, tmp_path, ("npy",))
    np.testing.assert_allclose(np.load(tmp_path / "01_laplacian.npy"), shown.values, atol=1e-3)


def test_a_cancelled_export_leaves_the_old_file_and_no_other(tmp_path):
    frame = picture()
    target = tmp_path / "out.png"
    target.write_bytes(b"the export before")
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 3  # the window closes while the fourth strip is due

    pipeline = Pipeline(kernel=presets.get("sharpen"), display=DisplaySettings(mode="minmax"))
    with pytest.raises(ExportCancelledError, match="stopped"):
        export_output(pipeline, frame, target, "png", cancelled=cancelled)
    assert target.read_bytes() == b"the export before"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]
    with pytest.raises(ExportCancelledError):
        export_feature_maps(Pipeline(bank=(presets.get("box"),)), frame, tmp_path,
                            cancelled=lambda: True)  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_a_streamed_png_decodes_to_its_rows(channels):
    shape = (37, 23) if channels == 1 else (37, 23, channels)
    image = RNG.integers(0, 256, shape, dtype=np.uint8)
    buffer = io.BytesIO()
    png = PngStream(buffer, 23, 37, channels)
    for first in range(0, 37, 10):
        png.write(image[first : first + 10])
    png.close()
    decoded = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_UNCHANGED)
    if channels >= 3:
        decoded = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB if channels == 3 else cv2.COLOR_BGRA2RGBA)
    assert np.array_equal(decoded, image)


def test_streams_refuse_rows_that_do_not_fit():
    png = PngStream(io.BytesIO(), 4, 2, 3)
    with pytest.raises(ValueError, match="fit"):
        png.write(np.zeros((1, 5, 3), np.uint8))
    png.write(np.zeros((1, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="1 of its 2 rows"):
        png.close()
    values = NpyStream(io.BytesIO(), (3, 2))
    values.write(np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="fit"):
        values.write(np.zeros((1, 2), np.float32))


def test_a_snapshot_png_is_the_picture(tmp_path):
    frame = picture(301, 77)
    write_png(tmp_path / "snap.png", frame)
    assert np.array_equal(read_png(tmp_path / "snap.png"), frame)


MEASURE = """
import re, sys, tempfile
from pathlib import Path
import numpy as np
from convlab.engine import calibration, presets, strips
from convlab.engine.export import export_output
from convlab.engine.pipeline import DisplaySettings, Pipeline

def resident(field):
    return int(re.search(field + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))

calibration.use_table(calibration.PROVISIONAL)
strips.STRIP_BYTES = 8 << 20
frame = np.random.default_rng(0).integers(0, 256, (2000, 3000, 3), dtype=np.uint8)
before = resident("VmRSS")
pipeline = Pipeline(kernel=presets.get("sobel_x"),
                    display=DisplaySettings(mode="signed", colormap="diverging", robust=True))
folder = Path(tempfile.mkdtemp())
export_output(pipeline, frame, folder / "out.png", "png")
export_output(pipeline, frame, folder / "out.npy", "npy")
print((resident("VmHWM") - before) // 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_exporting_a_big_output_holds_a_strip_not_the_whole(tmp_path):
    """6 MP: the float32 output alone is 72 MB and a whole-image export peaked ~300 MB above
    the frame; strip by strip (8 MB strips here) it stays near a few strips' worth."""
    result = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True,
                            timeout=120, cwd=REPO)  # fmt: skip
    assert result.returncode == 0, result.stderr
    extra_mb = int(re.findall(r"-?\d+", result.stdout)[-1])
    assert extra_mb < 80


def test_a_png_strip_is_deflated_in_small_pieces():
    """zlib runs without the GIL, but Python joins each call's output with the GIL held: a
    strip of megabytes compressed at once kept the window waiting; no IDAT chunk (one call's
    output) may be much larger than a piece."""
    noise = RNG.integers(0, 256, (300, 3000, 3), dtype=np.uint8)  # 2.7 MB, incompressible
    buffer = io.BytesIO()
    png = PngStream(buffer, 3000, 300, 3)
    png.write(noise)
    png.close()
    data, at, sizes = buffer.getvalue(), 8, []
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        if data[at + 4 : at + 8] == b"IDAT":
            sizes.append(length)
        at += 12 + length
    assert sum(sizes) > noise.nbytes and max(sizes) <= 300_000
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), noise)
