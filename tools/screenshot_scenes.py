"""The scenes ``screenshots.py`` takes, in order: each puts the window in a state and shoots.

A scene drives the real window the way a person would (tabs, a clicked pixel, the tour), then
calls ``shooter.window_picture`` (README pictures) or ``shooter.help_picture`` (in-app help).
"""

from __future__ import annotations


def first_run(shooter) -> None:
    """What a newcomer sees first: the picture, the kernel, the maps, and the tour's step 1."""
    window = shooter.window
    shooter.settle(lambda: window.tour.active, 5.0)
    shooter.window_picture("first-run")
    window.tour.close()


def playground(shooter) -> None:
    window = shooter.window
    window.tour.close()
    window.tabs.setCurrentIndex(0)
    shooter.window_picture("playground")
    shooter.help_picture("window.png", window, width=500)
    shooter.help_picture("kernel.png", window.kernel_panel, width=340)  # the Kernel dock
    grid = window.maps_panel.grid
    tiles = grid.tiles[0].geometry()
    for tile in grid.tiles[1:3]:  # three maps at their own size: a whole row would be tiny
        tiles = tiles.united(tile.geometry())
    shooter.help_picture("maps.png", grid, area=tiles.adjusted(-4, -4, 4, 4))


def inspector(shooter) -> None:
    window = shooter.window
    window.tour.close()  # (when the first-run scene was left out)
    window.tabs.setCurrentIndex(0)
    window.state.set_inspected_pixel((260, 250))
    shooter.window_picture("inspector")
    shooter.help_picture("inspector.png", window.inspector_card.popover)
    window.state.set_inspected_pixel(None)


def inspector_7x7(shooter) -> None:
    """The largest kernel the inspector promises to show whole on a laptop: 7x7, three
    channels, with a divisor."""
    from convlab.engine.kernels import gaussian_kernel

    window = shooter.window
    window.tour.close()
    window.tabs.setCurrentIndex(0)
    before = window.state.kernel
    window.state.set_kernel(gaussian_kernel(3, 1.5))
    shooter.settle(lambda: window.last_result.generation == window.state.pipeline.generation, 5)
    window.state.set_inspected_pixel((200, 300))
    shooter.window_picture("inspector-7x7")
    window.state.set_inspected_pixel(None)
    window.state.set_kernel(before)


def _show_tab(window, title: str) -> None:
    for index in range(window.tabs.count()):
        if window.tabs.tabText(index) == title:
            window.tabs.setCurrentIndex(index)


def _tab(title: str, name: str, prepare=None, helps=()):
    """A tab as it opens (after ``prepare(window)``), and pictures of its parts for the help:
    ``helps`` holds (file name, function of the window giving the widget)."""

    def scene(shooter) -> None:
        window = shooter.window
        _show_tab(window, title)
        if prepare is not None:
            prepare(shooter)
        shooter.window_picture(name)
        for file_name, widget in helps:
            shooter.help_picture(file_name, widget(window))
        window.tabs.setCurrentIndex(0)

    return scene


def _arithmetic_steps(shooter) -> None:
    """Five steps in: the window has moved, the output is filling in."""
    for _ in range(5):
        shooter.window.tab_panels[0].player.step_forward()
    shooter.wait(0.3)


def _borders_page(shooter) -> None:
    lab = shooter.window.tab_panels[2]
    lab.tabs.setCurrentWidget(lab.borders_page)
    shooter.wait(0.5)


# ----------------------------------------------------------------------------- docs/tour.md
def _open(shooter, path) -> None:
    window = shooter.window
    opened = []
    window.worker.sourceOpened.connect(opened.append)
    window.source_menu.open_spec(str(path))
    shooter.settle(lambda: bool(opened), 10.0)
    window.worker.sourceOpened.disconnect(opened.append)
    shooter.settle(lambda: window.last_result.frame.shape[:2] == (opened[0].height,
                   opened[0].width), 5.0)  # fmt: skip


def tour_pictures(shooter) -> None:
    """The guided tour's pictures of the inspector, the arithmetic, the Gaussian explorer and
    the borders, in the states its text describes, in a 1600x1000 window like the tour's other
    pictures (taken in the full-HD run only, where that window fits the screen)."""
    if shooter.size != "1920x1080":
        return
    from PySide6.QtCore import QRectF

    from convlab.engine import presets
    from convlab.engine.assets import resource_path
    from convlab.engine.kernels import gaussian_kernel

    window = shooter.window
    window.tour.close()
    size = window.size()
    window.resize(1600, 1000)
    shooter.wait(0.5)
    state = window.state
    before = (state.kernel, state.pipeline.conv.border)
    # 1. the inspector at the top-left corner, zeros border, zoomed in (chelsea, Sobel x)
    _open(shooter, resource_path("images", "chelsea.jpg"))
    state.set_kernel(presets.get("sobel_x"))
    state.update_conv(border="constant")
    window.tabs.setCurrentIndex(0)
    shooter.wait(0.5)
    window.source_view.viewbox.setRange(QRectF(-3, -3, 30, 20), padding=0.0)
    state.set_inspected_pixel((0, 0))
    shooter.tour_picture("tour-inspector")
    state.set_inspected_pixel(None)
    window.source_view.fit()
    # 2. padding 1, stride 2, five steps in
    arithmetic = window.tab_panels[0]
    _show_tab(window, "Arithmetic")
    arithmetic.set_config(mode="convolution", n=7, k=3, padding=1, stride=2, dilation=1)
    arithmetic.rebuild()
    for _ in range(5):
        arithmetic.player.step_forward()
    shooter.tour_picture("tour-arithmetic")
    # 4. the Gaussian explorer side by side; the borders on the test card with a 9x9 blur
    lab = window.tab_panels[2]
    _show_tab(window, "Kernel lab")
    lab.tabs.setCurrentWidget(lab.gaussian_page)
    lab.gaussian_page.view_box.setCurrentIndex(2)
    shooter.tour_picture("tour-gaussian")
    _open(shooter, resource_path("images", "test_card.png"))
    state.set_kernel(gaussian_kernel(4, 2.0))
    lab.tabs.setCurrentWidget(lab.borders_page)
    shooter.tour_picture("tour-borders")
    # back to the first screen's picture and kernel
    _open(shooter, resource_path("images", "astronaut.jpg"))
    state.set_kernel(before[0])
    state.update_conv(border=before[1])
    window.tabs.setCurrentIndex(0)
    window.resize(size)
    shooter.wait(0.5)


SCENES = [
    ("first-run", first_run),
    ("playground", playground),
    ("inspector", inspector),
    ("inspector-7x7", inspector_7x7),
    (
        "arithmetic",
        _tab(
            "Arithmetic",
            "arithmetic",
            _arithmetic_steps,
            [("arithmetic.png", lambda w: w.tab_panels[0].canvas)],
        ),
    ),
    (
        "why-cnns",
        _tab("Why CNNs?", "why-cnns", helps=[("why-cnns.jpg", lambda w: w.tab_panels[1].pictures)]),
    ),
    ("kernel-lab", _tab("Kernel lab", "kernel-lab")),
    (
        "kernel-lab-borders",
        _tab(
            "Kernel lab",
            "kernel-lab-borders",
            _borders_page,
            [("borders.png", lambda w: w.tab_panels[2].borders_page)],
        ),
    ),
    ("train", _tab("Train", "train")),
    ("tour-pictures", tour_pictures),
]
