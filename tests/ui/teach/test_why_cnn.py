"""The parameter panel reproduces the slides' numbers; the shuffle demo shows what it claims."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from convlab.ui.state import PlaygroundState
from convlab.ui.teach.flatten_view import as_32x32
from convlab.ui.teach.why_cnn import (
    CURRENT_SOURCE,
    WhyCnnPanel,
    human_bytes,
    mlp_difference,
    power_of_ten,
)


@pytest.fixture
def panel(qtbot):
    state = PlaygroundState()
    frame = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    frame[10:30, 20:40] = 255  # a square: the original has clean edges
    state.publish_result(state.pipeline.run(frame))
    widget = WhyCnnPanel(state)
    qtbot.addWidget(widget)
    return widget


def _table(panel) -> list[list[str]]:
    return [[panel.table.item(r, c).text() for c in range(4)] for r in range(3)]


def test_slide_32x32(panel):
    panel.apply_preset("Slide: 32×32 image, 1000 hidden units")
    assert panel.counts["inputs"] == 1024
    assert panel.counts["fully_connected"] == 1000 * 1024
    assert _table(panel)[0][2] == "1,024,000"
    assert "1,000 × 32 × 32 × 1" in _table(panel)[0][1]
    # one locally connected unit per location, whatever the hidden-unit count says
    assert panel.counts["locally_connected"] == 32 * 32 * 10 * 10
    assert "32 × 32 × 10 × 10 × 1" in _table(panel)[1][1]
    assert _table(panel)[1][2] == "102,400"


def test_slide_720x960(panel):
    panel.apply_preset("Slide: 720×960 image, 1000 hidden units")
    assert panel.counts["inputs"] == 691_200
    assert panel.counts["fully_connected"] == 1000 * 691_200
    assert "1,000 × 720 × 960" in _table(panel)[0][1]


def test_slide_one_megapixel_with_a_million_hidden_units(panel):
    panel.apply_preset("Slide: 1000×1000 image, 1M hidden units")
    assert panel.counts["fully_connected"] == 10**12
    assert panel.counts["locally_connected"] == 10**8
    assert panel.counts["convolutional"] == 10_000
    rows = _table(panel)
    assert [row[2] for row in rows] == ["1,000,000,000,000", "100,000,000", "10,000"]
    assert [row[3] for row in rows] == ["4 TB", "400 MB", "40 kB"]
    heights = panel.bars.opts["height"]
    np.testing.assert_allclose(heights, [12, 8, 4])
    assert "100,000,000× fewer" in panel.ratio_label.text()


def test_editing_and_the_current_source(panel):
    panel.apply_preset(CURRENT_SOURCE)
    assert (panel.spins["height"].value(), panel.spins["width"].value()) == (48, 64)
    assert panel.counts["fully_connected"] == 1000 * 48 * 64 * 3
    panel.spins["hidden"].setValue(10)
    assert panel.preset_box.currentText() == "Custom"
    assert panel.counts["fully_connected"] == 10 * 48 * 64 * 3
    panel.spins["kernel"].setValue(60)  # larger than the 48-pixel image: explained, no crash
    assert "does not fit" in panel.error_label.text()
    assert panel.error_label.isVisibleTo(panel)


def test_formatting_helpers():
    assert human_bytes(4 * 10**12) == "4 TB"
    assert human_bytes(4_096_000) == "4.1 MB"
    assert human_bytes(12) == "12 B"
    assert power_of_ten(10**12) == "10¹²"
    assert power_of_ten(691_200_000) == "6.91·10⁸"


def test_shuffle_demo(panel):
    panel.refresh_demo()
    original, shuffled = panel.pictures.image_data(0), panel.pictures.image_data(1)
    assert original.shape == shuffled.shape
    # the same pixels, in another order
    np.testing.assert_array_equal(
        np.sort(original.reshape(-1, 3), axis=0), np.sort(shuffled.reshape(-1, 3), axis=0)
    )
    assert not np.array_equal(original, shuffled)
    assert panel.mlp_gap is not None and panel.mlp_gap < 1e-9
    assert panel.pictures.image_data(3).shape == original.shape


def test_mlp_difference_is_rounding_only_for_any_seed():
    gray = np.random.default_rng(3).integers(0, 256, (40, 50), dtype=np.uint8)
    assert max(mlp_difference(gray, seed) for seed in range(3)) < 1e-9


def test_current_source_follows_a_new_frame_size(panel):
    panel.show()
    panel.apply_preset(CURRENT_SOURCE)
    panel.state.publish_result(panel.state.pipeline.run(np.zeros((20, 30, 3), np.uint8)))
    assert (panel.spins["height"].value(), panel.spins["width"].value()) == (20, 30)
    assert panel.counts["inputs"] == 20 * 30 * 3


def test_the_weight_matrix_shape_and_the_flatten_strip(panel, qtbot):
    panel.show()
    panel.apply_preset("Slide: 32×32 image, 1000 hidden units")
    assert "W (1,000 × 1,024)" in panel.matrix_label.text()
    panel.apply_preset("Slide: 720×960 image, 1000 hidden units")
    assert "W (1,000 × 691,200)" in panel.matrix_label.text()
    panel.refresh_demo()
    strip = panel.strip
    assert strip.image.shape == (32, 32)
    frame = panel.state.latest_result.frame
    np.testing.assert_array_equal(strip.image, as_32x32(frame))
    strip.choose(10, 7)
    assert strip.index == 10 * 32 + 7
    flat = strip.image.ravel()
    # the pixel below is 32 places further along the vector, the one to the right 1
    assert flat[strip.index + 32] == strip.image[11, 7]
    assert flat[strip.index + 1] == strip.image[10, 8]
    chosen = []
    strip.pixelChosen.connect(lambda r, c: chosen.append((r, c)))
    strip.resize(620, 190)
    strip.grab()  # lays the picture out
    rect = strip._image_rect
    cell = rect.width() / 32
    qtbot.mouseClick(
        strip,
        Qt.MouseButton.LeftButton,
        pos=QPoint(int(rect.left() + 5.5 * cell), int(rect.top() + 20.5 * cell)),
    )
    assert chosen == [(20, 5)] and strip.index == 20 * 32 + 5


def test_the_convolutional_row_names_its_biases(panel):
    panel.apply_preset("Slide: 1000×1000 image, 1M hidden units")
    assert "(+100 biases: 10,100)" in _table(panel)[2][1]
