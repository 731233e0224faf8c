"""Display mode, colormap and fixed range: how float responses become pixels.

A convolution's output is unclipped floats; an edge kernel gives negatives, a sharpen
overshoots 255. Which mapping is used changes what a person sees, so it is a visible choice.
``DisplayControls`` edits either the main output's mapping or the feature-map bank's. Auto,
the default, picks a mapping for each result; the controls then show what Auto picked (the
mode box reads "Auto (Offset +128)", the colormap box the map really drawn with) and a line
says why, with one click to switch.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QToolButton,
    QWidget,
)
from superqt.utils import signals_blocked

from convlab.engine.display import (
    AUTO,
    MODE_NAMES,
    SETTING_MODES,
    DisplayChoice,
    colormap_for,
    colormap_lut,
    colormaps_for,
)
from convlab.engine.pipeline import DisplaySettings, PipelineResult
from convlab.ui import text as ui_text
from convlab.ui.state import PlaygroundState
from convlab.ui.widgets.colour_bar import ColourBar
from convlab.ui.widgets.flow_layout import flow_group

MODE_TIPS: dict[str, str] = {
    AUTO: "Picks a mapping from the kernel and its response, and says why under the view.",
    "clip": "Below 0 shows black, above 255 white: what an image editor does.",
    "abs": "Negative and positive responses both show bright: edges of either sign.",
    "offset": "Zero response is mid-grey, negative darker, positive lighter.",
    "minmax": "The lowest value is black, the highest white (the extreme 0.5% saturate).",
    "signed": "Zero is dark, negative blue, positive red; symmetric range. A colour output "
    "is drawn by its brightness (the channels' mean).",
}
MODE_LABELS: dict[str, tuple[str, str]] = {m: (MODE_NAMES[m], MODE_TIPS[m]) for m in SETTING_MODES}
# What the Auto item of the mode box adds: never longer than the longest item, so the box
# keeps its width as Auto changes its mind.
SHORT_NAMES = {
    "clip": "Clip",
    "abs": "|v|",
    "offset": "+128",
    "minmax": "Min–max",
    "signed": "Signed",
}
COLORMAP_LABELS = {"gray": "no colormap", "bkr": "blue·black·red"}  # gray keeps colour
RANGE_MODES = ("minmax", "signed")  # the modes that use a fixed range; the others ignore it


def shown_range(choice: DisplayChoice, low: float, high: float) -> tuple[float, float]:
    """The value interval that ``choice`` spreads over 0..255 (outside it pixels saturate);
    ``low`` and ``high`` are the response's own range, for modes drawn without one."""
    mode = choice.mode
    if mode == "clip":
        return (0.0, 255.0)
    if mode == "abs":
        return (-255.0, 255.0)
    if mode == "offset":
        return (-128.0, 127.0)
    if choice.value_range is not None:
        low, high = choice.value_range
    if mode == "signed":
        half = max(abs(low), abs(high))
        return (-half, half)
    return (low, high)


def _number(value: float) -> str:
    return f"{value:+.3g}".replace("-", "−") if value else "0"


def legend_ends(
    choice: DisplayChoice, fixed: tuple[float, float] | None = None
) -> tuple[str, str, float | None]:
    """(left text, right text, where 0 falls along the bar 0..1 or None) for the colour bar
    of a picture drawn with ``choice``; a map drawn on its own range has no numbers to give."""
    mode = choice.mode
    value_range = choice.value_range if choice.value_range is not None else fixed
    if mode == "offset":
        return "−128", "+127", 128 / 255
    if mode in ("clip", "abs"):
        return ("0", "255", None) if mode == "clip" else ("|v| 0", "255", None)
    if value_range is None:
        return ("−", "+", 0.5) if mode == "signed" else ("min", "max", None)
    low, high = value_range
    if mode == "signed":
        half = max(abs(low), abs(high))
        return _number(-half), _number(half), 0.5
    zero = -low / (high - low) if low < 0.0 < high else None
    return _number(low), _number(high), zero


SHOWS_NEGATIVES = 0.01  # a Clip with at least this share below 0 offers to show them


def switch_offer(choice: DisplayChoice) -> str | None:
    """The mode one click switches to from ``choice``: out of Auto, the most telling other
    view of the same response (what Clip hides, or the negatives Clip drops: a sharpen's
    undershoots); back to Auto from a mode chosen by hand. None: nothing worth offering (a
    blur has no negatives; the mode box is still there)."""
    if not choice.auto:
        return AUTO
    if choice.mode in ("offset", "signed", "abs"):
        return "clip"
    return "signed" if choice.below >= SHOWS_NEGATIVES else None


class DisplayControls(QObject):
    """Mode, colormap and fixed-range widgets bound to one DisplaySettings of the state.

    ``target`` is "output" (the main kernel's image) or "bank" (every feature map). The
    widgets come in groups the owner places: ``mapping_group`` (mode, colormap),
    ``colour_bar`` (the palette drawn with, shown while a colormap is in use),
    ``range_group`` (fixed range) and ``choice_group`` (the line saying what is shown and
    why, and ``switch_button``, its one-click switch, unless ``switch`` is False: where the
    mode box is right beside the line, e.g. in a narrow dock).
    """

    def __init__(
        self, state: PlaygroundState, target: str, parent: QWidget, *, switch: bool = True
    ) -> None:
        super().__init__(parent)
        self._offers_switch = switch
        if target not in ("output", "bank"):
            raise ValueError(f"display target must be 'output' or 'bank', got {target!r}")
        self._state = state
        self._target = target
        self._choice: DisplayChoice | None = None
        self._offered_for: str | None = None
        self._build_mapping(parent, target)
        self._build_range(parent, target)
        self._build_choice(parent, target)
        self.fixed_check.toggled.connect(self._fixed_toggled)
        self.low_spin.valueChanged.connect(self._range_edited)
        self.high_spin.valueChanged.connect(self._range_edited)
        self.mode_combo.currentIndexChanged.connect(self._mode_chosen)
        self.colormap_combo.currentIndexChanged.connect(self._colormap_chosen)
        state.settingsChanged.connect(self.sync_from_state)
        state.resultReady.connect(self._result_arrived)
        if state.latest_result is not None:
            self._choice = self._choice_of(state.latest_result)
        self.sync_from_state()

    def _build_mapping(self, parent: QWidget, target: str) -> None:
        """The mode and colormap boxes."""
        self.mode_combo = QComboBox(parent)
        self.mode_combo.setObjectName(f"{target}DisplayMode")
        for mode in SETTING_MODES:
            label, tip = MODE_LABELS[mode]
            self.mode_combo.addItem(label, mode)
            self.mode_combo.setItemData(
                self.mode_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole
            )
        self.mode_combo.setToolTip("How float responses become pixels")
        self.colormap_combo = QComboBox(parent)
        self.colormap_combo.setObjectName(f"{target}Colormap")
        self.colormap_combo.setToolTip(
            "Colormap for the response. Signed offers diverging maps only (zero is their "
            "neutral middle); Clip, |v| and min–max never do (they put zero at black). "
            "'No colormap' leaves a colour output in colour."
        )
        self.colormap_combo.setMinimumContentsLength(len("no colormap"))
        self.colormap_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.colour_bar = ColourBar(parent)
        self.colour_bar.setObjectName(f"{target}ColourBar")
        self.colour_bar.setToolTip(
            "The colours of the picture and the values they stand for; values beyond the "
            "ends saturate"
            if target == "output"
            else "The maps' colours. Each map is stretched to its own range (a tile's tooltip "
            "gives its values), unless Fixed range is on"
        )
        self.colour_bar.hide()  # until a result is drawn with a colormap
        self.mapping_group = flow_group(parent, self.mode_combo, self.colormap_combo)

    def _build_range(self, parent: QWidget, target: str) -> None:
        """Fixed range: on, from, to."""
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
        self.to_label = QLabel("to", parent)
        self.range_group = flow_group(
            parent, self.fixed_check, self.low_spin, self.to_label, self.high_spin
        )

    def _build_choice(self, parent: QWidget, target: str) -> None:
        """The line saying what is shown and why, and its one-click switch."""
        self.choice_label = ui_text.plain_label(parent=parent)
        self.choice_label.setObjectName(f"{target}DisplayChoice")
        self.choice_label.setElideMode(Qt.TextElideMode.ElideRight)
        self.switch_button = QToolButton(parent)
        self.switch_button.setObjectName(f"{target}DisplaySwitch")
        self.switch_button.setAutoRaise(True)
        self.switch_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.switch_button.setStyleSheet("QToolButton { color: palette(link); }")
        self.switch_button.clicked.connect(self._switch)

    def settings(self) -> DisplaySettings:
        pipeline = self._state.pipeline
        return pipeline.display if self._target == "output" else pipeline.bank_display

    def choice(self) -> DisplayChoice | None:
        """What the latest result was really drawn with (None before the first result)."""
        return self._choice

    def shown_mode(self) -> str:
        """The mapping on screen: the setting's, or the one Auto picked for the last result."""
        settings = self.settings()
        if settings.mode != AUTO:
            return settings.mode
        return self._choice.mode if self._choice is not None and self._choice.auto else "clip"

    def sync_from_state(self) -> None:
        """Show the state's settings without echoing edits back (signals blocked)."""
        settings = self.settings()
        if self._choice is not None and self._choice.auto != (settings.mode == AUTO):
            self._choice = None  # drawn under the previous setting: wait for the next result
        self._show_mode()
        self._show_colormap()
        fixed = settings.fixed_range
        with signals_blocked(self.fixed_check):
            self.fixed_check.setChecked(fixed is not None)
        if fixed is not None:
            for spin, value in ((self.low_spin, fixed[0]), (self.high_spin, fixed[1])):
                with signals_blocked(spin):
                    spin.setValue(value)
        uses_range = self.shown_mode() in RANGE_MODES
        self.fixed_check.setEnabled(uses_range)
        # The numbers only mean something while the range is fixed: hidden otherwise, so an
        # idle "0.00 to 0.00" never suggests the display is stuck on an empty range.
        for widget in (self.low_spin, self.to_label, self.high_spin):
            widget.setVisible(fixed is not None)
            widget.setEnabled(uses_range)
        self._show_choice()

    # ------------------------------------------------------------------------------ showing
    def _choice_of(self, result: PipelineResult) -> DisplayChoice | None:
        return result.display if self._target == "output" else result.bank_display

    def _result_arrived(self, result: PipelineResult) -> None:
        choice = self._choice_of(result)
        if choice is None or choice == self._choice:
            return
        settings = self.settings()
        if choice.auto != (settings.mode == AUTO) or not (
            choice.auto or choice.mode == settings.mode
        ):
            return  # computed before the last change of mode
        previous, self._choice = self._choice, choice
        if previous is None or (previous.mode, previous.colormap) != (choice.mode, choice.colormap):
            self.sync_from_state()
        else:
            self._show_choice()

    def _show_mode(self) -> None:
        auto_text = MODE_NAMES[AUTO]
        if self.settings().mode == AUTO and self._choice is not None:
            auto_text = f"Auto · {SHORT_NAMES[self._choice.mode]}"
        index = self.mode_combo.findData(AUTO)
        if self.mode_combo.itemText(index) != auto_text:
            self.mode_combo.setItemText(index, auto_text)
        with signals_blocked(self.mode_combo):
            self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(self.settings().mode)))

    def _show_colormap(self) -> None:
        """Offer the maps that suit the mode on screen and show the one really drawn with."""
        mode = self.shown_mode()
        with signals_blocked(self.colormap_combo):
            if self._offered_for != mode:
                self._offered_for = mode
                self.colormap_combo.clear()
                for name in colormaps_for(mode):
                    self.colormap_combo.addItem(COLORMAP_LABELS.get(name, name), name)
            used = colormap_for(mode, self.settings().colormap)
            self.colormap_combo.setCurrentIndex(max(0, self.colormap_combo.findData(used)))

    def _show_colour_bar(self) -> None:
        """The palette of a colour-mapped picture, with the values at its ends."""
        choice = self._choice
        if choice is None or choice.colormap == "gray":
            self.colour_bar.hide()
            return
        low, high, zero = legend_ends(choice, self.fixed_range())
        self.colour_bar.set_palette(colormap_lut(choice.colormap), low, high, zero)
        self.colour_bar.show()

    def fixed_range(self) -> tuple[float, float] | None:
        return self.settings().fixed_range

    def _show_choice(self) -> None:
        self._show_colour_bar()
        choice = self._choice
        if choice is None:
            self.choice_label.setText("")
            self.switch_button.hide()
            return
        line = choice.line()
        if self.choice_label.text() != line:
            self.choice_label.setText(line)
            self.choice_label.setToolTip(ui_text.tooltip(line))
            # never wider than its text: the switch sits right after it, not across the row
            width = self.choice_label.fontMetrics().horizontalAdvance(line) + 6
            self.choice_label.setMaximumWidth(width)
        offer = switch_offer(choice) if self._offers_switch else None
        self.switch_button.setVisible(offer is not None)
        if offer is not None:
            text = "Back to Auto" if offer == AUTO else f"Show {MODE_NAMES[offer]}"
            self.switch_button.setText(text)
            self.switch_button.setToolTip(
                "Let Auto choose again"
                if offer == AUTO
                else f"One click: show this response as {MODE_NAMES[offer]} (Auto stays one "
                "click away)"
            )
            self.switch_button.setProperty("mode", offer)

    # ------------------------------------------------------------------------------ edits
    def _update(self, **changes) -> None:
        if self._target == "output":
            self._state.update_display(**changes)
        else:
            self._state.update_bank_display(**changes)

    def _mode_chosen(self) -> None:
        self._update(mode=self.mode_combo.currentData())

    def _switch(self) -> None:
        mode = self.switch_button.property("mode")
        if mode in SETTING_MODES:
            self._update(mode=mode)

    def _colormap_chosen(self) -> None:
        name = self.colormap_combo.currentData()
        if name is not None:
            self._update(colormap=name)

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
