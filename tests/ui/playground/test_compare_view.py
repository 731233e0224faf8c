"""Image views: placement in source coordinates, overlays, mouse mapping, compare modes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF

from convlab.engine.convolve import output_shape
from convlab.ui.playground.compare_view import INPUT_TITLE, CompareView
from convlab.ui.widgets.image_view import ImageView, place_output
from tests.ui.conftest import make_scene


@pytest.mark.parametrize(
    ("kernel", "padding", "stride", "dilation"),
    [((3, 3), "same", 1, 1), ((3, 5), "valid", 1, 1), ((4, 4), "same", 2, 1),
     ((3, 3), 2, 3, 2), ((5, 5), "valid", 2, 1)],
)  # fmt: skip
def test_output_pixels_sit_over_the_centre_of_their_receptive_field(
    kernel, padding, stride, dilation
):
    source = (37, 41)
    out = output_shape(source, kernel, padding=padding, stride=stride, dilation=dilation)
    rect = place_output(source, out, kernel, padding=padding, stride=stride, dilation=dilation)
    for axis, (n_out, k) in enumerate(zip(out, kernel)):
        span = dilation * (k - 1)
        before = {"same": span // 2, "valid": 0}.get(padding, padding)
        for i in (0, n_out - 1):
            # independent reference: mean position of the taps of output pixel i
            taps = [i * stride - before + u * dilation for u in range(k)]
            centre = float(np.mean(taps)) + 0.5
            start = rect.top() if axis == 0 else rect.left()
            drawn_centre = start + (i + 0.5) * stride
            assert drawn_centre == pytest.approx(centre)


def test_receptive_field_inside_and_in_the_padded_border(qtbot):
    view = ImageView("Input")
    qtbot.addWidget(view)
    view.set_image(make_scene(20, 30))
    view.set_source_size(20, 30)
    view.show_receptive_field((10, 10), (np.arange(9, 12), np.arange(8, 13)))
    assert view._footprint.item.path().boundingRect() == QRectF(8, 9, 5, 3)
    assert not view._outside.item.isVisible()
    # a 3x3 kernel dilated by 2 at the top-right corner: taps at rows -2, 0, 2, cols 27, 29, 31
    view.show_receptive_field(
        (0, 29), (np.array([-2, 0, 2]), np.array([27, 29, 31])), ((2, 2), (2, 2))
    )
    outside = view._outside.item.path()
    assert outside.boundingRect() == QRectF(27, -2, 5, 5)
    assert outside.contains(QPointF(27.5, -1.5)) and not outside.contains(QPointF(28.5, -1.5))
    inside = view._footprint.item.path()  # spread taps: one square each, not one block
    assert inside.contains(QPointF(29.5, 2.5)) and not inside.contains(QPointF(28.5, 1.5))
    padded = view._padded.item.path().boundingRect()
    assert padded == QRectF(-2, -2, 34, 24)
    view.show_receptive_field((3, 3), None)  # no output pixel fits: the target, no outline
    assert view._target.isVisible() and not view._footprint.item.isVisible()
    view.show_receptive_field(None)
    assert not view._footprint.item.isVisible() and not view._target.isVisible()


def test_shift_hover_inspects_throttled_and_plain_hover_does_not(qtbot):
    from PySide6.QtCore import QEvent, QPoint, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    view = ImageView("Input")
    qtbot.addWidget(view)
    view.resize(300, 200)
    view.show()
    qtbot.waitExposed(view)
    view.set_image(make_scene(20, 30))
    view.set_source_size(20, 30)
    QApplication.processEvents()
    inspected: list[tuple[int, int]] = []
    view.pixelClicked.connect(lambda r, c: inspected.append((r, c)))

    def move_to(row: int, col: int, modifiers) -> None:
        local = view.mapFromScene(view.viewbox.mapViewToScene(QPointF(col + 0.5, row + 0.5)))
        point = QPointF(local)
        event = QMouseEvent(
            QEvent.Type.MouseMove, point, QPointF(view.mapToGlobal(QPoint(local))),
            Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, modifiers,
        )  # fmt: skip
        QApplication.sendEvent(view.viewport(), event)

    move_to(4, 5, Qt.KeyboardModifier.NoModifier)
    assert inspected == []  # plain hover only reads values
    move_to(4, 5, Qt.KeyboardModifier.ShiftModifier)
    assert inspected == [(4, 5)]  # the first Shift-move inspects at once
    move_to(6, 7, Qt.KeyboardModifier.ShiftModifier)
    move_to(8, 9, Qt.KeyboardModifier.ShiftModifier)
    assert inspected == [(4, 5)]  # within the interval: held back ...
    qtbot.waitUntil(lambda: len(inspected) == 2, timeout=1000)
    assert inspected == [(4, 5), (8, 9)]  # ... and only the latest is sent
    assert "Shift" in INPUT_TITLE  # the view says so


def test_hover_and_click_report_source_pixels(qtbot):
    view = ImageView("Input")
    qtbot.addWidget(view)
    view.resize(300, 200)
    view.show()
    view.set_image(make_scene(20, 30))
    view.set_source_size(20, 30)
    qtbot.wait(50)
    scene_point = view.viewbox.mapViewToScene(QPointF(12.5, 7.5))
    assert view.pixel_at(scene_point) == (7, 12)
    assert view.pixel_at(view.viewbox.mapViewToScene(QPointF(-1, 5))) is None
    with qtbot.waitSignal(view.hovered) as hovered:
        view._mouse_moved(scene_point)
    assert hovered.args == [(7, 12)]


def test_zoom_is_shared_and_wipe_clips_the_output(qtbot):
    compare = CompareView()
    qtbot.addWidget(compare)
    compare.resize(800, 400)
    compare.show()
    frame = make_scene(40, 60)
    output = 255 - frame
    compare.show_result(frame, output, QRectF(0, 0, 60, 40))
    compare.source_view.viewbox.setRange(QRectF(10, 5, 20, 10), padding=0)
    qtbot.wait(20)
    source_range = compare.source_view.viewbox.viewRange()
    output_range = compare.output_view.viewbox.viewRange()
    np.testing.assert_allclose(source_range, output_range)
    compare.set_mode("wipe")
    compare.set_divider_position(25.0)
    assert compare._clip.rect().left() == 25.0
    assert np.array_equal(compare._underlay.image, frame)
    assert np.array_equal(compare.output_view.image_item.image, output)
    compare.set_mode("output")
    assert compare._clip.rect().left() < -1e6


def test_thumbnail_mode_shows_a_small_copy_of_the_input(qtbot):
    compare = CompareView()
    qtbot.addWidget(compare)
    compare.resize(900, 500)
    compare.show()
    compare.set_mode("thumbnail")
    frame = make_scene(100, 200)
    compare.show_result(frame, frame, QRectF(0, 0, 200, 100))
    thumb = compare._thumbnail_item.image
    assert thumb.shape[1] == 220 and thumb.shape[0] == 110
    assert compare._thumbnail.isVisible()
