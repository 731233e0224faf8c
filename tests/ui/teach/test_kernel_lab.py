"""Kernel lab: Gaussian explorer, current-kernel analysis and the border comparison."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QSlider

from convlab.engine import presets
from convlab.engine.convolve import BORDERS, convolve
from convlab.engine.kernel_analysis import frequency_response
from convlab.engine.kernels import Kernel, gaussian_kernel
from convlab.engine.pipeline import shrink
from convlab.ui.state import PlaygroundState
from convlab.ui.teach.borders import BORDER_CHOICES, CORNERS, extended_corner, filtered_corner
from convlab.ui.teach.gaussian import GAUSSIAN_VIEWS, compose_view, gaussian_profile
from convlab.ui.teach.kernel_lab import KernelLabPanel
from convlab.ui.teach.kernel_view import describe_response
from convlab.ui.widgets.sliders import number_field
from tests.engine.test_convolve import NUMPY_BORDER as NUMPY_PAD  # border -> np.pad mode


@pytest.fixture
def frame() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)


@pytest.fixture
def state(frame) -> PlaygroundState:
    state = PlaygroundState()
    state.publish_result(state.pipeline.run(frame))
    return state


@pytest.fixture
def panel(qtbot, state):
    widget = KernelLabPanel(state)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_gaussian_explorer_follows_the_sliders(panel, frame):
    panel.gaussian_page.radius_slider.setValue(4)
    panel.gaussian_page.sigma_slider.setValue(2.0)
    panel.gaussian_page.refresh()
    expected = gaussian_kernel(4, 2.0)
    np.testing.assert_allclose(panel.gaussian_page.gaussian().weights, expected.weights)
    profile = gaussian_profile(expected)
    np.testing.assert_allclose(np.outer(profile, profile), expected.weights, atol=1e-12)
    x, y = panel.gaussian_page.profile_points.getData()
    np.testing.assert_allclose(x, np.arange(-4, 5))
    np.testing.assert_allclose(y, profile)
    panel.gaussian_page.view_box.setCurrentText(GAUSSIAN_VIEWS[0])
    shown = panel.gaussian_page.gaussian_picture.image_data(0)
    blurred = np.clip(convolve(frame, expected) + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(shown, blurred)
    panel.gaussian_page.view_box.setCurrentText(GAUSSIAN_VIEWS[2])
    side = panel.gaussian_page.gaussian_picture.image_data(0)
    assert side.shape == (60, 80 * 2 + 6, 3)
    np.testing.assert_array_equal(side[:, :80], frame)


def test_sliders_update_the_explorer_and_point_out_truncation(qtbot, panel):
    panel.gaussian_page.radius_slider.setValue(1)
    panel.gaussian_page.sigma_slider.setValue(4.0)
    qtbot.waitUntil(lambda: "cut off" in panel.gaussian_page.gaussian_note.text(), timeout=2000)
    assert panel.gaussian_page.kernel_picture.image_data(0).shape == (3, 3, 3)


def test_use_in_editor_sets_the_kernel_undoably(panel, state):
    panel.gaussian_page.radius_slider.setValue(2)
    panel.gaussian_page.sigma_slider.setValue(1.0)
    panel.gaussian_page.use_button.click()
    np.testing.assert_allclose(state.kernel.weights, gaussian_kernel(2, 1.0).weights)
    state.undo_stack.undo()
    assert state.kernel.name == "identity"


def test_compose_view_thumbnail_and_shrink():
    original = np.full((40, 80, 3), 200, np.uint8)
    result = np.zeros((40, 80, 3), np.uint8)
    inset = compose_view(original, result, GAUSSIAN_VIEWS[1])
    assert inset.shape == result.shape
    assert (inset[6:16, 6:26] == 200).all() and (inset[30:, 40:] == 0).all()
    assert shrink(np.zeros((1000, 500, 3), np.uint8), 480).shape == (480, 240, 3)


def test_convolution_toggle_flips_and_drives_the_state(panel, state):
    state.set_kernel(presets.get("emboss"))
    panel.tabs.setCurrentIndex(1)
    np.testing.assert_array_equal(
        panel.kernel_page.applied_grid.values, presets.get("emboss").weights
    )
    panel.kernel_page.convolve_button.setChecked(True)
    assert state.pipeline.conv.mode == "convolve"
    np.testing.assert_array_equal(
        panel.kernel_page.applied_grid.values, presets.get("emboss").weights[::-1, ::-1]
    )
    state.update_conv(mode="correlate")
    assert panel.kernel_page.correlate_button.isChecked()


def test_separable_factors_and_frequency_response(panel, state):
    panel.tabs.setCurrentIndex(1)
    state.set_kernel(presets.get("sobel_x"))
    column, row = panel.kernel_page.column_grid.values[:, 0], panel.kernel_page.row_grid.values[0]
    np.testing.assert_allclose(np.outer(column, row), presets.get("sobel_x").effective)
    assert panel.kernel_page.column_grid.isVisibleTo(panel.tabs.widget(1))
    state.set_kernel(Kernel([[1, 2, 0], [0, 1, 3], [4, 0, 1]]))
    assert "No" in panel.kernel_page.separable_note.text()
    assert not panel.kernel_page.column_grid.isVisibleTo(panel.tabs.widget(1))
    assert panel.kernel_page.frequency_picture.image_data(0).shape == (64, 64, 3)


@pytest.mark.parametrize(
    ("name", "word"),
    [("box", "blur"), ("laplacian", "edge"), ("sharpen", "sharpener"), ("identity", "all-pass")],
)
def test_frequency_response_is_described(name, word):
    assert word in describe_response(frequency_response(presets.get(name), 64))


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("corner", CORNERS)
def test_filtered_corner_equals_the_full_convolution(frame, border, corner):
    kernel = presets.get("sobel_x")
    full = convolve(frame, kernel, border=border)
    block = filtered_corner(frame, kernel, border, corner, 20)
    rows = slice(0, 20) if corner.startswith("top") else slice(40, 60)
    cols = slice(0, 20) if corner.endswith("left") else slice(60, 80)
    np.testing.assert_allclose(block, full[rows, cols], atol=1e-3)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("corner", CORNERS)
def test_extended_corner_matches_numpy_padding(frame, border, corner):
    padded = np.pad(frame, ((3, 3), (3, 3), (0, 0)), mode=NUMPY_PAD[border])
    block = extended_corner(frame, border, corner, 10, 3)
    rows = slice(0, 13) if corner.startswith("top") else slice(53, 66)
    cols = slice(0, 13) if corner.endswith("left") else slice(73, 86)
    np.testing.assert_array_equal(block, padded[rows, cols])


def test_border_tab_shows_four_rules(panel, state):
    state.set_kernel(presets.get("box"))
    panel.tabs.setCurrentIndex(2)
    panel.borders_page.zoom_slider.setValue(16)
    images = [panel.borders_page.border_pictures.image_data(i) for i in range(len(BORDER_CHOICES))]
    assert all(image.shape == (16, 16, 3) for image in images)
    assert not np.array_equal(images[0], images[1])  # zeros darken the edge, mirrors do not
    np.testing.assert_array_equal(images[0][1:, 1:], images[1][1:, 1:])  # the inside agrees
    panel.borders_page.border_view_box.setCurrentIndex(1)
    assert panel.borders_page.border_pictures.image_data(0).shape == (17, 17, 3)
    assert (panel.borders_page.border_pictures.image_data(0)[0] == 0).all()  # the zero border


def test_help_and_no_image(qtbot):
    panel = KernelLabPanel(PlaygroundState())
    qtbot.addWidget(panel)
    panel.show()
    panel.tabs.setCurrentIndex(2)
    assert "No image" in panel.borders_page.border_note.text()
    assert "<p>" in KernelLabPanel.HELP_HTML and KernelLabPanel.HELP_TITLE


def test_hidden_lab_does_no_work_and_catches_up_when_shown(qtbot, state):
    lab = KernelLabPanel(state)
    qtbot.addWidget(lab)
    lab.tabs.setCurrentIndex(1)
    state.set_kernel(presets.get("sharpen"))
    assert lab.kernel_page.written_grid.values.size == 0  # never shown: nothing computed
    lab.show()
    np.testing.assert_array_equal(
        lab.kernel_page.written_grid.values, presets.get("sharpen").weights
    )


def test_a_click_on_a_label_focuses_the_lab_so_f1_finds_its_help(qtbot, panel):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    panel.activateWindow()
    qtbot.waitUntil(lambda: panel.isActiveWindow(), timeout=2000)
    if QApplication.focusWidget() is not None:  # activation focused the first control
        QApplication.focusWidget().clearFocus()
    qtbot.mouseClick(
        panel.gaussian_page.gaussian_note, Qt.MouseButton.LeftButton
    )  # a label takes no focus
    focused = QApplication.focusWidget()
    assert focused is not None and (focused is panel or panel.isAncestorOf(focused))


def test_pictures_are_shown_as_is_without_per_paint_levels(panel):
    """uint8 pictures take pyqtgraph's zero-copy path: no levels, so no rescale on every paint."""
    panel.gaussian_page.refresh()
    image = panel.gaussian_page.gaussian_picture.images[0]
    assert image.image is not None and image.image.dtype == np.uint8
    assert image.levels is None


# ----------------------------------------------------------------------------- typed fields
def type_into(qtbot, slider, text: str) -> None:
    """Click a slider's number field, type ``text`` and press Enter, as a person does."""
    from PySide6.QtCore import Qt

    field = number_field(slider)
    assert field is not None and field.isVisible()
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def test_the_explorer_opens_as_the_slides_do_and_says_how_much_of_the_bell_it_keeps(panel):
    page = panel.gaussian_page
    assert (page.radius_slider.value(), page.sigma_slider.value()) == (5, 3.0)
    page.refresh()
    np.testing.assert_allclose(page.gaussian().weights, gaussian_kernel(5, 3.0).weights)
    assert "The 11×11 window keeps 87% of the bell's mass" in page.gaussian_note.text()
    assert "a radius of 9 (3σ) would keep over 99%" in page.gaussian_note.text()


def test_every_explorer_slider_takes_a_typed_value_and_sigma_steps_by_a_tenth(qtbot, panel):
    from PySide6.QtCore import Qt

    page = panel.gaussian_page
    type_into(qtbot, page.sigma_slider, "2.5")
    assert page.sigma_slider.value() == pytest.approx(2.5)
    type_into(qtbot, page.radius_slider, "7")
    assert page.radius_slider.value() == 7
    np.testing.assert_allclose(page.gaussian().weights, gaussian_kernel(7, 2.5).weights)
    inner = page.sigma_slider.findChild(QSlider)
    inner.setFocus()
    qtbot.keyClick(inner, Qt.Key.Key_Right)
    assert page.sigma() == pytest.approx(2.6)
    assert number_field(page.sigma_slider).text() == "2.6"
    qtbot.waitUntil(lambda: "15×15 window keeps" in page.gaussian_note.text(), timeout=2000)
    panel.tabs.setCurrentWidget(panel.borders_page)
    zoom = panel.borders_page.zoom_slider
    type_into(qtbot, zoom, "40")
    assert zoom.value() == 40
