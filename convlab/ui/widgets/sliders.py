"""Sliders with a number field beside them that looks like one, so people know they can type.

superqt's labeled sliders already keep an editable number beside the handle, but draw it as
plain text: nobody thinks of clicking it. Here it gets the frame and background of an input
box and a tooltip; typing a value and pressing Enter moves the slider there. The values move
in whole steps (0.1 for a deviation), by mouse and by the arrow keys alike.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QSlider, QWidget
from superqt import QLabeledDoubleSlider, QLabeledSlider

FIELD_STYLE = (
    "QLineEdit { border: 1px solid palette(mid); border-radius: 2px;"
    " background: palette(base); padding: 0 2px; }"
)


def typed_slider(
    minimum: float,
    maximum: float,
    value: float,
    *,
    decimals: int = 0,
    step: float | None = None,
    tooltip: str = "",
    parent: QWidget | None = None,
) -> QLabeledSlider:
    """A horizontal slider from ``minimum`` to ``maximum`` with a typed number field.

    ``decimals`` 0 makes an integer slider; otherwise values show that many decimals and
    the arrow keys move by ``step`` (default: one unit of the last decimal).
    """
    slider: QLabeledSlider
    if decimals:
        slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal, parent)
        slider.setDecimals(decimals)
        slider.setSingleStep(step if step is not None else 10.0**-decimals)
    else:
        slider = QLabeledSlider(Qt.Orientation.Horizontal, parent)
        slider.setSingleStep(int(step) if step is not None else 1)
    slider.setRange(minimum, maximum)
    slider.setValue(value)
    slider.setToolTip(tooltip)
    make_typed(slider, tooltip)
    _Steps(slider, step if step is not None else 10.0**-decimals, decimals)
    return slider


class _Steps(QObject):
    """Whole steps for a labeled slider: a drag lands on them (sigma moves 2.9, 3.0, 3.1,
    not 2.9731), and the arrow and page keys move by one step and ten, which superqt's
    sliders leave undone."""

    def __init__(self, slider: QLabeledSlider, step: float, decimals: int) -> None:
        super().__init__(slider)
        self._slider = slider
        self._step = step
        self._decimals = decimals
        slider.valueChanged.connect(self._snap)
        inner = slider.findChild(QSlider)
        for widget in (slider, inner):
            if widget is not None:
                widget.installEventFilter(self)

    def _snap(self, value: float) -> None:
        snapped = round(round(value / self._step) * self._step, self._decimals)
        if snapped != value:
            self._slider.setValue(snapped)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            steps = _KEY_STEPS.get(Qt.Key(event.key()))
            if steps is not None:
                self._slider.setValue(self._slider.value() + steps * self._step)
                return True
        return super().eventFilter(watched, event)


_KEY_STEPS = {
    Qt.Key.Key_Right: 1,
    Qt.Key.Key_Up: 1,
    Qt.Key.Key_Left: -1,
    Qt.Key.Key_Down: -1,
    Qt.Key.Key_PageUp: 10,
    Qt.Key.Key_PageDown: -10,
}


def make_typed(slider: QLabeledSlider, tooltip: str = "") -> QLineEdit | None:
    """Give an existing labeled slider's number the look of an input field."""
    field = number_field(slider)
    if field is not None:
        field.setStyleSheet(FIELD_STYLE)
        hint = "Type a value and press Enter"
        field.setToolTip(f"{tooltip}\n{hint}" if tooltip else hint)
    return field


def number_field(slider: QLabeledSlider) -> QLineEdit | None:
    """The slider's editable number (a QLineEdit child of superqt's labeled slider)."""
    return slider.findChild(QLineEdit)
