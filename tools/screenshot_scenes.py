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


def inspector(shooter) -> None:
    window = shooter.window
    window.tabs.setCurrentIndex(0)
    window.state.set_inspected_pixel((260, 250))
    shooter.window_picture("inspector")
    window.state.set_inspected_pixel(None)


def inspector_7x7(shooter) -> None:
    """The largest kernel the inspector promises to show whole on a laptop: 7x7, three
    channels, with a divisor."""
    from convlab.engine.kernels import gaussian_kernel

    window = shooter.window
    window.tabs.setCurrentIndex(0)
    before = window.state.kernel
    window.state.set_kernel(gaussian_kernel(3, 1.5))
    shooter.settle(lambda: window.last_result.generation == window.state.pipeline.generation, 5)
    window.state.set_inspected_pixel((200, 300))
    shooter.window_picture("inspector-7x7")
    window.state.set_inspected_pixel(None)
    window.state.set_kernel(before)


def _tab(title: str, name: str):
    def scene(shooter) -> None:
        window = shooter.window
        for index in range(window.tabs.count()):
            if window.tabs.tabText(index) == title:
                window.tabs.setCurrentIndex(index)
        shooter.window_picture(name)
        window.tabs.setCurrentIndex(0)

    return scene


SCENES = [
    ("first-run", first_run),
    ("playground", playground),
    ("inspector", inspector),
    ("inspector-7x7", inspector_7x7),
    ("arithmetic", _tab("Arithmetic", "arithmetic")),
    ("why-cnns", _tab("Why CNNs?", "why-cnns")),
    ("kernel-lab", _tab("Kernel lab", "kernel-lab")),
    ("train", _tab("Train", "train")),
]
