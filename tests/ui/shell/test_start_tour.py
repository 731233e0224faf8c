"""The "Start here" tour through the real window: first run only, each step on its widget,
moved on by doing what it says, remembered once closed, back from the Help menu."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QTableView

from convlab.app import build_window
from convlab.ui.settings import Settings
from convlab.ui.shell.start_tour import SEEN_KEY
from tests.ui.conftest import wait_for_result


def _rect_in_window(widget) -> QRect:
    return QRect(widget.mapTo(widget.window(), QPoint(0, 0)), widget.size())


def _shown_window(qtbot, scene_path):
    window = build_window([str(scene_path)])
    qtbot.addWidget(window)
    window.resize(1326, 708)  # a 1366x768 laptop screen, less a title bar and a panel
    window.show()
    qtbot.waitExposed(window)
    wait_for_result(qtbot, window)
    return window


def test_the_first_run_tour_walks_through_the_real_widgets(qtbot, scene_path):
    window = _shown_window(qtbot, scene_path)
    tour = window.tour
    qtbot.waitUntil(lambda: tour.active and tour.mark.isVisible(), timeout=5000)
    mark = tour.mark
    assert 5 <= len(tour.steps) <= 7
    assert mark.counter.text() == f"1 of {len(tour.steps)}"
    grid = window.findChild(QTableView, "kernelEditor")
    # step 1 rings the kernel grid, and the bubble does not cover it
    assert mark.ring.isVisible() and mark.ring.geometry().contains(_rect_in_window(grid))
    assert not mark.geometry().intersects(_rect_in_window(grid))
    assert window.rect().contains(mark.geometry())
    # nor the output, which the person watches change as they type
    assert not mark.geometry().intersects(_rect_in_window(window.output_view))
    # doing what it says moves it on: type a weight into a cell
    model = grid.model()
    model.setData(model.index(1, 1), 4.0)
    qtbot.waitUntil(lambda: tour.index == 1, timeout=3000)
    assert mark.ring.geometry().contains(_rect_in_window(window.output_view))
    qtbot.mouseClick(mark.next_button, Qt.MouseButton.LeftButton)
    assert tour.index == 2  # "point, then click": the bubble leaves both pictures free
    for picture in (window.source_view, window.output_view):
        assert mark.ring.geometry().contains(_rect_in_window(picture))
        assert not mark.geometry().intersects(_rect_in_window(picture))
    view = window.source_view
    centre = view.mapFromScene(view.viewbox.mapViewToScene(view.viewbox.viewRect().center()))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: tour.index == 3, timeout=3000)
    clicked = window.state.inspected_pixel
    assert clicked is not None
    card = window.inspector_card.popover
    qtbot.waitUntil(lambda: mark.ring.geometry().contains(card.geometry()), timeout=3000)
    assert card.isVisible() and not mark.geometry().intersects(card.geometry())
    qtbot.mouseClick(mark.next_button, Qt.MouseButton.LeftButton)
    assert tour.index == 4  # the feature maps: the card that covered them is put away
    assert card.isHidden() and window.state.inspected_pixel is None
    assert mark.ring.geometry().contains(_rect_in_window(window.maps_panel))
    qtbot.mouseClick(mark.back_button, Qt.MouseButton.LeftButton)
    assert tour.index == 3 and card.isVisible()  # back: a pixel worked out again
    qtbot.mouseClick(mark.back_button, Qt.MouseButton.LeftButton)
    assert tour.index == 2
    titles = []
    for index in range(2, len(tour.steps)):
        assert tour.index == index
        titles.append(mark.title.text())
        target = tour.steps[index].target()
        assert target is not None, mark.title.text()  # every step points at something shown
        assert mark.ring.geometry().contains(target)
        assert window.rect().contains(mark.geometry())
        qtbot.mouseClick(mark.next_button, Qt.MouseButton.LeftButton)
    assert any("Why CNNs?" in t for t in titles) and any("Train" in t for t in titles)
    assert any("worked out" in t for t in titles)
    assert not tour.active and mark.isHidden() and mark.ring.isHidden()
    assert Settings().get(SEEN_KEY)
    window.close()


def test_a_closed_tour_stays_closed_and_help_brings_it_back(qtbot, scene_path):
    window = _shown_window(qtbot, scene_path)
    qtbot.waitUntil(lambda: window.tour.active, timeout=5000)
    qtbot.mouseClick(window.tour.mark.close_button, Qt.MouseButton.LeftButton)
    assert not window.tour.active and window.tour.mark.isHidden()
    window.close()

    again = _shown_window(qtbot, scene_path)
    qtbot.wait(1500)  # longer than the first-run delay
    assert not again.tour.active and again.tour.mark.isHidden()
    start = again.findChild(object, "startTourAction")
    start.trigger()
    assert again.tour.active and again.tour.mark.isVisible()
    assert again.tour.mark.counter.text().startswith("1 of")
    again.close()


def test_the_bubble_follows_its_widget_when_the_window_changes(qtbot, scene_path):
    window = _shown_window(qtbot, scene_path)
    qtbot.waitUntil(lambda: window.tour.active, timeout=5000)
    window.resize(1900, 1000)
    grid = window.findChild(QTableView, "kernelEditor")
    qtbot.waitUntil(
        lambda: window.tour.mark.ring.geometry().contains(_rect_in_window(grid)), timeout=3000
    )
    assert window.rect().contains(window.tour.mark.geometry())
    window.tour.close()
    window.close()


def test_reading_on_without_clicking_shows_the_middle_pixel_worked_out(qtbot, scene_path):
    window = _shown_window(qtbot, scene_path)
    tour = window.tour
    qtbot.waitUntil(lambda: tour.active, timeout=5000)
    for _ in range(3):
        qtbot.mouseClick(tour.mark.next_button, Qt.MouseButton.LeftButton)
    assert tour.index == 3
    height, width = window.last_result.frame.shape[:2]
    assert window.state.inspected_pixel == (height // 2, width // 2)
    card = window.inspector_card.popover
    assert card.isVisible() and window.inspector_panel.explanation is not None
    assert tour.mark.ring.geometry().contains(card.geometry())
    tour.close()
    window.close()


def test_the_tour_started_from_another_tab_brings_back_what_it_points_at(qtbot, scene_path):
    window = _shown_window(qtbot, scene_path)
    qtbot.waitUntil(lambda: window.tour.active, timeout=5000)
    window.tour.close()
    dock = window.panel_docks.kernel_dock
    dock.close()  # a person closed the kernel, then went to another tab
    window.tabs.setCurrentIndex(3)
    window.findChild(object, "startTourAction").trigger()
    tour, mark = window.tour, window.tour.mark
    assert window.tabs.currentIndex() == 0 and dock.isVisible()
    grid = window.findChild(QTableView, "kernelEditor")
    assert mark.ring.isVisible() and mark.ring.geometry().contains(_rect_in_window(grid))
    window.tabs.setCurrentIndex(4)  # wandering off mid-tour: the next step brings it back
    qtbot.waitUntil(lambda: mark.ring.isHidden(), timeout=2000)
    # meanwhile the bubble waits in the lower right corner, off the tab's content
    assert mark.geometry().center().x() > window.width() * 0.6
    assert mark.geometry().center().y() > window.height() * 0.5
    qtbot.mouseClick(mark.next_button, Qt.MouseButton.LeftButton)
    assert tour.index == 1 and window.tabs.currentIndex() == 0
    assert mark.ring.geometry().contains(_rect_in_window(window.output_view))
    tour.close()
    window.close()


def test_the_first_run_tour_never_pulls_a_person_off_the_tab_they_went_to(qtbot, scene_path):
    window = _shown_window(qtbot, scene_path)
    window.tabs.setCurrentIndex(4)  # straight to Train, before the tour spoke
    qtbot.wait(1500)  # longer than the first-run delay
    assert window.tabs.currentIndex() == 4 and not window.tour.active
    assert not Settings().get(SEEN_KEY)  # it is offered again at the next start
    window.close()
