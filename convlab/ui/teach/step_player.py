"""Play, pause and step through an animation of numbered steps, at a chosen speed.

The arithmetic animation's transport: Reset, Back, Play/Pause, Step, Finish, a speed slider
and "step i / n". It knows only where it is (``show_position``) and asks to go elsewhere
(``seek``); what a step draws is the panel's business. Playing loops: a classroom demo keeps
running.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStyle, QToolButton, QWidget
from superqt import QLabeledDoubleSlider

_ICONS = QStyle.StandardPixmap


def _transport_button(text: str, icon: QStyle.StandardPixmap) -> QToolButton:
    """Compact buttons with the style's own media icons (a glyph such as a pause sign is
    missing from many fonts and shows as an empty box)."""
    button = QToolButton()
    button.setText(text)
    button.setIcon(button.style().standardIcon(icon))
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return button


class StepPlayer(QWidget):
    """The transport row; ``seek`` carries the number of steps to show."""

    seek = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.done, self.total = 0, 0
        self.reset_button = _transport_button("Reset", _ICONS.SP_MediaSkipBackward)
        self.back_button = _transport_button("Back", _ICONS.SP_MediaSeekBackward)
        self.play_button = _transport_button("Play", _ICONS.SP_MediaPlay)
        self.play_button.setCheckable(True)
        self.step_button = _transport_button("Step", _ICONS.SP_MediaSeekForward)
        self.end_button = _transport_button("Finish", _ICONS.SP_MediaSkipForward)
        self.speed = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0.5, 10.0)
        self.speed.setValue(2.0)
        self.speed.setToolTip("Steps per second")
        self.speed.setMinimumWidth(120)
        self.progress = QLabel()
        self.timer = QTimer(self)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for button in self.buttons():
            layout.addWidget(button)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Speed"))
        layout.addWidget(self.speed)
        layout.addSpacing(12)
        layout.addWidget(self.progress)

        self.timer.timeout.connect(self._tick)
        self.reset_button.clicked.connect(lambda: self.seek.emit(0))
        self.back_button.clicked.connect(self.step_back)
        self.step_button.clicked.connect(self.step_forward)
        self.end_button.clicked.connect(self.finish)
        self.play_button.toggled.connect(self._on_play)
        self.speed.valueChanged.connect(self._on_speed)

    def buttons(self) -> tuple[QToolButton, ...]:
        return (
            self.reset_button,
            self.back_button,
            self.play_button,
            self.step_button,
            self.end_button,
        )

    def show_position(self, done: int, total: int, *, usable: bool = True) -> None:
        """Where the animation is; an unusable one (impossible settings) cannot play."""
        self.done, self.total = done, total
        if not usable:
            self.stop()
        for button in self.buttons():
            button.setEnabled(usable)
        self.progress.setText(f"step {done} / {total}" if usable else "")

    def stop(self) -> None:
        self.play_button.setChecked(False)

    def step_forward(self) -> None:
        self.seek.emit(self.done + 1)

    def step_back(self) -> None:
        self.seek.emit(self.done - 1)

    def finish(self) -> None:
        self.stop()
        self.seek.emit(self.total)

    def _tick(self) -> None:
        self.seek.emit(0 if self.done >= self.total else self.done + 1)

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.setIcon(
            self.style().standardIcon(_ICONS.SP_MediaPause if playing else _ICONS.SP_MediaPlay)
        )
        if playing:
            self._on_speed(self.speed.value())
            self.timer.start()
        else:
            self.timer.stop()

    def _on_speed(self, steps_per_second: float) -> None:
        self.timer.setInterval(int(1000 / max(steps_per_second, 0.1)))
