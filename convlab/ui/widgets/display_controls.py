"""Display mode, colormap and fixed range: how float responses become pixels.

A convolution's output is unclipped floats; an edge kernel gives negatives, a sharpen
overshoots 255. Which mapping is used changes what a person sees, so it is a visible choice.
``DisplayControls`` edits either the main output's mapping or the feature-map bank's.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QWidget,
)
from superqt.utils import signals_blocked

from convlab.engine.display import DISPLAY_MODES, colormap_names
from convlab.engine.pipeline import DisplaySettings
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.flow_layout import flow_group

MODE_LABELS: dict[str, tuple[str, str]] = {
    "clip": ("Clip 0–255", "Below 0 shows black, above 255 white: what an image editor does."),
    "abs": (
        "Absolute |v|",
        "Negative and positive responses both show bright: edges of either sign.",
    ),
    "offset": ("Offset +128", "Zero response is mid-grey, negative darker, positive lighter."),
    "minmax": (
        "Min–max stretch",
        "The lowest value is black, the highest white (per frame, or a fixed range).",
    ),
    "signed": (
        "Signed (diverging)",
        "Zero is neutral, negative blue, positive red; symmetric range.",
    ),
}
RANGE_MODES = ("minmax", "signed")  # the modes that use a fixed range; the others ignore it


def shown_range(settings: DisplaySettings, low: float, high: float) -> tuple[float, float]:
    """The value interval that the mode spreads over 0..255 (outside it pixels saturate)."""
    mode = settings.mode
    if mode == "clip":
        return (0.0, 255.0)
    if mode == "abs":
        return (-255.0, 255.0)
    if mode == "offset":
        return (-128.0, 127.0)
    if settings.fixed_range is not None:
        low, high = settings.fixed_range
    if mode == "signed":
        half = max(abs(low), abs(high))
        return (-half, half)
    return (low, high)


class DisplayControls(QObject):
    """Mode, colormap and fixed-range widgets bound to one DisplaySettings of the state.

    ``target`` is "output" (the main kernel's image) or "bank" (every feature map). The
    widgets come in two groups, ``mapping_group`` (mode, colormap) and ``range_group`` (fixed
    range), that the owner places, e.g. as separate items of a wrapping toolbar.
    """

    def __init__(self, state: PlaygroundState, target: str, parent: QWidget) -> None:
        super().__init__(parent)
        if target not in ("output", "bank"):
            raise ValueError(f"display target must be 'output' or 'bank', got {target!r}")
        self._state = state
        self._target = target
        self.mode_combo = QComboBox(parent)
        self.mode_combo.setObjectName(f"{target}DisplayMode")
        for mode in DISPLAY_MODES:
            label, tip = MODE_LABELS.get(mode, (mode, ""))
            self.mode_combo.addItem(label, mode)
            last = self.mode_combo.count() - 1
            self.mode_combo.setItemData(last, tip, Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.setToolTip("How float responses become pixels")
        self.colormap_combo = QComboBox(parent)
        self.colormap_combo.setObjectName(f"{target}Colormap")
        for name in colormap_names():
            self.colormap_combo.addItem(name, name)
        self.colormap_combo.setToolTip(
            "Colormap for single-channel responses. 'Signed' always uses a diverging map "
            "(coolwarm unless bwr is chosen)."
        )
        self.fixed_check = QCheckBox("Fixed range", parent)
        self.fixed_check.setToolTip(
            "Off: min–max and signed use each frame's own range (video may flicker).\n"
            "On: they use the range typed here (starts from the current frame's range)."
            if target == "output"
            else "Off: min–max and signed stretch each map to its own range.\n"
            "On: every map uses the range typed here (it starts from the range over all "
            "maps), so weak and strong responses can be compared."
        )
        self.low_spin = self._range_spin(parent, "Value shown black (min–max) / most negative")
        self.high_spin = self._range_spin(parent, "Value shown white (min–max) / most positive")
        self.mapping_group = flow_group(parent, self.mode_combo, self.colormap_combo)
        self.to_label = QLabel("to", parent)
        self.range_group = flow_group(
            parent, self.fixed_check, self.low_spin, self.to_label, self.high_spin
        )
        self.fixed_check.toggled.connect(self._fixed_toggled)
        self.low_spin.valueChanged.connect(self._range_edited)
        self.high_spin.valueChanged.connect(self._range_edited)
        self.mode_combo.currentIndexChanged.connect(self._mode_chosen)
        self.colormap_combo.currentIndexChanged.connect(self._colormap_chosen)
        state.settingsChanged.connect(self.sync_from_state)
        self.sync_from_state()

    def settings(self) -> DisplaySettings:
        pipeline = self._state.pipeline
        return pipeline.display if self._target == "output" else pipeline.bank_display

    def sync_from_state(self) -> None:
        """Show the state's settings without echoing edits back (signals blocked)."""
        settings = self.settings()
        with signals_blocked(self.mode_combo):
            self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(settings.mode)))
        with signals_blocked(self.colormap_combo):
            name = "coolwarm" if settings.colormap == "diverging" else settings.colormap
            index = self.colormap_combo.findData(name)
            if index < 0:
                index = self.colormap_combo.findData("gray")
            self.colormap_combo.setCurrentIndex(index)
        fixed = settings.fixed_range
        with signals_blocked(self.fixed_check):
            self.fixed_check.setChecked(fixed is not None)
        if fixed is not None:
            for spin, value in ((self.low_spin, fixed[0]), (self.high_spin, fixed[1])):
                with signals_blocked(spin):
                    spin.setValue(value)
        uses_range = settings.mode in RANGE_MODES
        self.fixed_check.setEnabled(uses_range)
        # The numbers only mean something while the range is fixed: hidden otherwise, so an
        # idle "0.00 to 0.00" never suggests the display is stuck on an empty range.
        for widget in (self.low_spin, self.to_label, self.high_spin):
            widget.setVisible(fixed is not None)
            widget.setEnabled(uses_range)

    # ------------------------------------------------------------------------------ edits
    def _update(self, **changes) -> None:
        if self._target == "output":
            self._state.update_display(**changes)
        else:
            self._state.update_bank_display(**changes)

    def _mode_chosen(self) -> None:
        self._update(mode=self.mode_combo.currentData())

    def _colormap_chosen(self) -> None:
        self._update(colormap=self.colormap_combo.currentData())

    def _fixed_toggled(self, on: bool) -> None:
        if not on:
            self._update(fixed_range=None)
            return
        low, high = self._current_extremes()
        with signals_blocked(self.low_spin), signals_blocked(self.high_spin):
            self.low_spin.setValue(low)
            self.high_spin.setValue(high)
        self._update(fixed_range=(self.low_spin.value(), self.high_spin.value()))

    def _range_edited(self) -> None:
        if not self.fixed_check.isChecked():
            return
        low, high = self.low_spin.value(), self.high_spin.value()
        if low > high:
            low, high = high, low
        self._update(fixed_range=(low, high))

    def _current_extremes(self) -> tuple[float, float]:
        """The latest frame's response range: the natural start for a fixed range."""
        result = self._state.latest_result
        if result is None:
            return (0.0, 255.0)
        if self._target == "output":
            values = result.output
            low, high = float(np.nanmin(values)), float(np.nanmax(values))
        elif result.maps:
            low = min(m.value_range[0] for m in result.maps)
            high = max(m.value_range[1] for m in result.maps)
        else:
            return (0.0, 255.0)
        if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
            return (0.0, 255.0)
        return (round(low, 3), round(high, 3))

    @staticmethod
    def _range_spin(parent: QWidget, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(parent)
        spin.setRange(-1e6, 1e6)
        spin.setDecimals(2)
        spin.setKeyboardTracking(False)
        spin.setToolTip(tip)
        spin.setMaximumWidth(90)
        return spin
