"""Generator sliders: Gaussian, Laplacian of Gaussian and Gabor kernels, applied live.

Moving a slider replaces the kernel at once, so a person sees sigma widen the blur while they
drag; one drag is one undo step (so is one typed value, or a quick run of arrow keys or wheel
notches). Every slider has a number field to type into; deviations step by 0.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledSlider
from superqt.utils import signals_blocked

from convlab.engine.kernel_analysis import gaussian_window_note
from convlab.engine.kernel_ops import EDITOR_MAX_SIDE
from convlab.engine.kernels import Kernel, gabor_kernel, gaussian_kernel, log_kernel
from convlab.errors import ConvlabError
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.sliders import typed_slider

MAX_RADIUS = (EDITOR_MAX_SIDE - 1) // 2
SESSION_IDLE_MS = 1500  # slider moves closer together than this undo as one step


@dataclass(frozen=True)
class Parameter:
    """One slider: its label, range, default and how many decimals it shows (0: integer)."""

    key: str
    label: str
    minimum: float
    maximum: float
    default: float
    decimals: int = 0
    tooltip: str = ""


@dataclass(frozen=True)
class Generator:
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    make: Callable[[dict[str, float]], Kernel]


def _gaussian(values: dict[str, float]) -> Kernel:
    return gaussian_kernel(int(values["radius"]), values["sigma"])


def _log(values: dict[str, float]) -> Kernel:
    return log_kernel(int(values["radius"]), values["sigma"])


def _gabor(values: dict[str, float]) -> Kernel:
    return gabor_kernel(
        int(values["size"]),
        values["sigma"],
        math.radians(values["theta"]),
        values["wavelength"],
        math.radians(values["phase"]),
    )


GENERATORS: dict[str, Generator] = {
    "gaussian": Generator(
        "Gaussian blur",
        "(2r+1) x (2r+1) weights exp(-d²/2σ²), summing to 1. Radius 5, deviation 3 is the "
        "slides' demo.",
        (
            Parameter("radius", "Radius", 0, MAX_RADIUS, 5, 0, "Size is 2 x radius + 1"),
            Parameter("sigma", "Sigma σ", 0.1, 10.0, 3.0, 1, "Standard deviation in pixels"),
        ),
        _gaussian,
    ),
    "log": Generator(
        "Laplacian of Gaussian",
        "Blur, then the second derivative: a blob detector whose zero crossings mark edges.",
        (
            Parameter("radius", "Radius", 1, MAX_RADIUS, 4, 0, "Size is 2 x radius + 1"),
            Parameter("sigma", "Sigma σ", 0.3, 5.0, 1.4, 1, "Scale of the blobs it finds"),
        ),
        _log,
    ),
    "gabor": Generator(
        "Gabor",
        "Stripes under a Gaussian window: the edge and texture detectors a CNN's first layer "
        "learns by itself.",
        (
            Parameter("size", "Size", 3, EDITOR_MAX_SIDE, 11, 0, "Kernel side in cells"),
            Parameter("sigma", "Sigma σ", 0.5, 8.0, 3.0, 1, "Width of the Gaussian window"),
            Parameter("theta", "Angle θ°", 0.0, 180.0, 0.0, 0, "Orientation of the stripes"),
            Parameter("wavelength", "Wavelength λ", 2.0, 20.0, 6.0, 1, "Stripe period, pixels"),
            Parameter("phase", "Phase ψ°", 0.0, 360.0, 0.0, 0, "0: line detector, 90: edge"),
        ),
        _gabor,
    ),
}


class GeneratorPanel(QWidget):
    """Pick a generator, move its labeled sliders, and the kernel follows live."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._sliders: dict[str, dict[str, QLabeledSlider]] = {}
        self._notes: dict[str, QLabel] = {}
        self._dragging = False
        self._session = 0
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(SESSION_IDLE_MS)
        self._idle.timeout.connect(self._new_session)

        self.kind = QComboBox()
        self.kind.setObjectName("generatorKind")
        self.apply_button = QPushButton("Load")
        self.apply_button.setToolTip("Load this generator's kernel into the grid")
        self.pages = QStackedWidget()
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(placeholder-text);")

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.kind, 1)
        top.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.description)
        layout.addWidget(self.pages)
        layout.addStretch(1)

        for name, generator in GENERATORS.items():
            self.kind.addItem(generator.title, name)
            self.pages.addWidget(self._build_page(name, generator))
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self.apply_button.clicked.connect(self._on_load_clicked)
        self._on_kind_changed(0)

    def _build_page(self, name: str, generator: Generator) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(2)
        sliders: dict[str, QLabeledSlider] = {}
        for parameter in generator.parameters:
            slider = typed_slider(
                parameter.minimum,
                parameter.maximum,
                parameter.default,
                decimals=parameter.decimals,
                tooltip=parameter.tooltip,
            )
            slider.setObjectName(f"{name}_{parameter.key}")
            slider.valueChanged.connect(self._on_slider_moved)
            # one drag, or one typed value, is one undo step
            # the press itself may move the value (a click on the handle centres it), so the
            # drag's step starts when the press arrives, before the slider handles it
            inner = slider.findChild(QSlider)
            if inner is not None:
                inner.installEventFilter(self)
            slider.sliderReleased.connect(self._drag_ended)
            slider.editingFinished.connect(self._new_session)
            form.addRow(parameter.label, slider)
            sliders[parameter.key] = slider
        self._sliders[name] = sliders
        if name == "gaussian":  # how much of the bell the window keeps
            note = QLabel()
            note.setObjectName("gaussianWindowNote")
            note.setWordWrap(True)
            form.addRow(note)
            self._notes[name] = note
        return page

    # ------------------------------------------------------------------------- public
    def current(self) -> str:
        return str(self.kind.currentData())

    def set_values(self, name: str, **values: float) -> None:
        """Move sliders programmatically (tests, demo actions) and apply the result once."""
        self.kind.setCurrentIndex(list(GENERATORS).index(name))
        for key, value in values.items():
            with signals_blocked(self._sliders[name][key]):
                self._sliders[name][key].setValue(value)
        self._idle.start()
        self.apply()

    def values(self, name: str | None = None) -> dict[str, float]:
        """The sliders' values, in their own steps (a drag lands between them)."""
        name = name or self.current()
        decimals = {p.key: p.decimals for p in GENERATORS[name].parameters}
        return {
            key: round(float(slider.value()), decimals[key])
            for key, slider in self._sliders[name].items()
        }

    def kernel(self) -> Kernel:
        """The kernel the current sliders describe."""
        return GENERATORS[self.current()].make(self.values())

    def apply(self) -> None:
        """Make the generator's kernel the current kernel (one undo step per session)."""
        self._update_note()
        try:
            kernel = self.kernel()
        except ConvlabError as error:
            self._state.report(error, "warning")
            return
        self._state.set_kernel(
            kernel,
            text=f"Generate {kernel.name}",
            merge_key=f"generator {self.current()} session {self._session}",
        )

    # ------------------------------------------------------------------------- internals
    def _on_kind_changed(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.description.setText(GENERATORS[self.current()].description)
        self._new_session()
        self._update_note()

    def _on_load_clicked(self) -> None:
        self._new_session()
        self.apply()

    def _on_slider_moved(self, _value: float) -> None:
        if not self._dragging:  # keys and wheel notches: a pause ends the step
            self._idle.start()
        self.apply()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonPress
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            self._drag_started()
        return super().eventFilter(watched, event)

    def _drag_started(self) -> None:
        """A drag is one undo step however long it pauses on the way."""
        self._idle.stop()
        self._dragging = True
        self._new_session()

    def _drag_ended(self) -> None:
        self._dragging = False
        self._new_session()

    def _new_session(self) -> None:
        self._session += 1

    def _update_note(self) -> None:
        note = self._notes.get(self.current())
        if note is not None:
            values = self.values()
            radius, sigma = int(values["radius"]), values["sigma"]
            note.setText(gaussian_window_note(radius, sigma, detail=False))
            note.setToolTip(gaussian_window_note(radius, sigma))
