"""Auto display through the real controls: what is shown, the line saying why, one click away."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from convlab.engine import presets
from convlab.engine.display import colormap_lut, to_rgb
from convlab.engine.kernels import Kernel
from convlab.engine.pipeline import robust_range
from convlab.ui.maps.panel import FeatureMapsPanel
from convlab.ui.playground.output_controls import OutputDisplayControls
from convlab.ui.state import PlaygroundState


def scene() -> np.ndarray:
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:48, 0:64]
    base = 90 + 80 * np.sin(xx / 6.0) * np.cos(yy / 4.0)
    rgb = np.stack([base, base * 0.7 + 30, 220 - base * 0.5], axis=2)
    return np.clip(rgb + rng.normal(0, 5, rgb.shape), 0, 255).astype(np.uint8)


def publish(state: PlaygroundState) -> None:
    state.publish_result(state.pipeline.run(scene()))


def negative_outline() -> Kernel:
    """The outline kernel with 4 typed into its centre: the output goes almost all negative."""
    weights = np.array(presets.get("outline").weights)
    weights[1, 1] = 4.0
    return Kernel(weights, name="custom")


@pytest.fixture
def state(qtbot) -> PlaygroundState:
    return PlaygroundState()


@pytest.fixture
def controls(qtbot, state) -> OutputDisplayControls:
    widget = OutputDisplayControls(state)
    qtbot.addWidget(widget)
    widget.resize(900, 160)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_auto_is_the_default_and_its_line_says_what_it_chose(controls, state):
    assert state.pipeline.display.mode == "auto"
    state.set_kernel(presets.get("outline"))
    publish(state)
    parts = controls.controls
    assert parts.choice_label.text() == (
        "Auto: Offset +128 — this kernel sums to 0, so negatives matter"
    )
    assert parts.choice_label.isVisible()
    assert parts.mode_combo.currentText() == "Auto · +128"
    assert parts.colormap_combo.currentData() == "gray"
    assert parts.colormap_combo.currentText() == "no colormap"
    # the band on the histogram is what Offset +128 spreads over black..white
    controls._redraw(state.latest_result)
    assert controls.histogram.band == pytest.approx((-128.0, 127.0))


def test_one_click_switches_out_of_auto_and_one_click_back(controls, state, qtbot):
    state.set_kernel(presets.get("sobel_x"))
    publish(state)
    switch = controls.controls.switch_button
    assert switch.isVisible() and switch.text() == "Show Clip 0–255"
    qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    assert state.pipeline.display.mode == "clip"
    publish(state)
    assert controls.controls.mode_combo.currentData() == "clip"
    assert controls.controls.choice_label.text().startswith("Clip 0–255 — ")
    np.testing.assert_array_equal(
        state.latest_result.output_image, to_rgb(state.latest_result.output, "clip")
    )
    assert switch.text() == "Back to Auto"
    qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    assert state.pipeline.display.mode == "auto"


def test_a_mostly_black_output_says_so_and_auto_shows_its_negatives(controls, state, qtbot):
    state.update_display(mode="clip")
    state.set_kernel(negative_outline())
    publish(state)
    line = controls.controls.choice_label.text()
    assert line.startswith("Clip 0–255 — ") and line.endswith("is below 0 and shows black")
    qtbot.mouseClick(controls.controls.switch_button, Qt.MouseButton.LeftButton)  # to Auto
    publish(state)
    result = state.latest_result
    assert result.display.mode == "signed"
    assert controls.controls.choice_label.text().startswith("Auto: Signed (diverging) — ")
    image = result.output_image.astype(int)
    assert np.mean(image[..., 2] - image[..., 0] > 40) > 0.8  # clearly blue, not black


def test_the_colormap_box_never_contradicts_the_picture(controls, state):
    state.set_kernel(negative_outline())
    publish(state)  # Auto chose Signed: a diverging map, whatever the box said before
    box = controls.controls.colormap_combo
    offered = [box.itemData(i) for i in range(box.count())]
    assert offered == ["bkr", "coolwarm", "bwr"]
    assert box.currentData() == "bkr" == state.latest_result.display.colormap
    box.setCurrentIndex(box.findData("bwr"))
    assert state.pipeline.display.mode == "auto"  # a colour pick keeps Auto
    publish(state)
    result = state.latest_result
    assert box.currentData() == "bwr" == result.display.colormap
    value_range = robust_range(result.output, "signed")
    np.testing.assert_array_equal(
        result.output_image,
        to_rgb(result.output, "signed", colormap="bwr", value_range=value_range),
    )
    state.update_display(mode="abs")  # 0 is black here: no diverging maps on offer
    offered = [box.itemData(i) for i in range(box.count())]
    assert "bwr" not in offered and box.currentData() == "gray"


def test_the_bank_says_what_auto_chose_for_every_map(qtbot, state):
    panel = FeatureMapsPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1000, 400)
    panel.show()
    qtbot.waitExposed(panel)
    state.set_bank([presets.get("sobel_x"), presets.get("laplacian"), presets.get("box")])
    publish(state)
    controls = panel.display_controls
    assert controls.choice_label.text() == "Auto: Signed (diverging) — 2 of 3 kernels sum to 0"
    assert controls.mode_combo.currentText() == "Auto · Signed"
    assert controls.colormap_combo.currentData() == "bkr"
    assert not controls.switch_button.isVisible()  # the mode box is right beside the line
    state.set_bank([presets.get("box"), presets.get("gaussian")])
    publish(state)
    assert controls.choice_label.text() == "Auto: Clip 0–255 — no map has negatives to show"
    assert controls.colormap_combo.currentData() == "gray"


def test_the_one_click_offer_is_the_telling_one(controls, state):
    switch = controls.controls.switch_button
    state.set_kernel(presets.get("sharpen"))  # overshoots below 0: see them signed
    publish(state)
    assert state.latest_result.display.mode == "clip"
    assert state.latest_result.display.below >= 0.01
    assert not switch.isHidden() and switch.text() == "Show Signed (diverging)"
    state.set_kernel(presets.get("gaussian"))  # a blur has nothing below 0: nothing to offer
    publish(state)
    assert state.latest_result.display.below == 0.0
    assert switch.isHidden()


def _bar_pixels(bar) -> np.ndarray:
    """The colours the colour bar really painted along its middle row, left to right."""
    image = bar.grab().toImage()
    rect = bar.bar_rect()
    y = int(rect.center().y())
    xs = range(int(rect.left()) + 2, int(rect.right()) - 1)
    return np.array([image.pixelColor(x, y).getRgb()[:3] for x in xs])


def test_a_signed_output_has_a_colour_bar_with_its_range_and_palette(controls, state):
    state.set_kernel(presets.get("sobel_x"))
    state.update_display(mode="signed")
    publish(state)
    result = state.latest_result
    bar = controls.controls.colour_bar
    assert bar.isVisible()
    half = max(abs(v) for v in robust_range(result.output, "signed"))
    low, high = bar.texts()
    assert float(low.replace("−", "-")) == pytest.approx(-half, rel=0.01)
    assert float(high) == pytest.approx(half, rel=0.01)
    # the bar's colours are the picture's: the values at its left end, middle and right end
    # drawn by the same mapping give the colours painted there
    # (a painted pixel covers about two entries of the table: it may be either)
    probe = np.array([[-half, 0.0, half]], dtype=np.float32)
    ends = to_rgb(probe, "signed", colormap=result.display.colormap, value_range=(-half, half))
    lut = colormap_lut(result.display.colormap).astype(int)
    painted = _bar_pixels(bar).astype(int)
    middle = painted[len(painted) // 2]
    assert np.abs(painted[0] - ends[0, 0]).max() <= 6
    assert np.abs(painted[-1] - ends[0, 2]).max() <= 6
    assert min(np.abs(middle - lut[i]).max() for i in range(122, 135)) <= 6
    assert np.array_equal(lut[128], ends[0, 1])
    # a dark zero and light ends: an edge map reads as bright edges on dark
    luminance = painted @ np.array([0.2126, 0.7152, 0.0722])
    assert luminance[len(luminance) // 2] < 40 < 150 < min(luminance[0], luminance[-1])
    state.update_display(mode="clip")  # a plain picture: no colour bar
    publish(state)
    assert not bar.isVisible()


def test_the_feature_maps_share_the_outputs_palette_and_show_it(qtbot, state):
    panel = FeatureMapsPanel(state)
    qtbot.addWidget(panel)
    panel.resize(1000, 400)
    panel.show()
    qtbot.waitExposed(panel)
    state.set_bank([presets.get("sobel_x"), presets.get("laplacian")])
    state.set_kernel(presets.get("sobel_x"))
    state.update_display(mode="signed")
    publish(state)
    result = state.latest_result
    assert result.bank_display.colormap == result.display.colormap
    bar = panel.display_controls.colour_bar
    assert bar.isVisible() and bar.texts() == ("−", "+")  # each map on its own range
    np.testing.assert_array_equal(bar.palette_colours(), colormap_lut(result.display.colormap))
    # the Sobel map: most of the picture has no edge and shows the dark zero
    image = result.maps[0].image.astype(float)
    luminance = image @ np.array([0.2126, 0.7152, 0.0722])
    flat = np.abs(result.maps[0].values) < 0.05 * np.abs(result.maps[0].values).max()
    assert flat.mean() > 0.1 and np.median(luminance[flat]) < 60
