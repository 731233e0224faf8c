"""The Train tab's row of controls: Settings, Train, Pause / Resume, Stop, Step, Reset, help."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QStyle, QToolButton, QWidget

from convlab.ui.help import help_button


def compact_button(button: QPushButton) -> QPushButton:
    """Padding from a style sheet drops the style's ~80 px minimum width of push buttons, so
    a row of them still fits when the window's docks leave the tab little room."""
    button.setStyleSheet("QPushButton { padding: 3px 7px; }")
    return button


class ControlsBar(QWidget):
    """The buttons that start and steer training; which are enabled follows the run."""

    def __init__(self, help_title: str, help_html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings_toggle = QToolButton()
        self.settings_toggle.setObjectName("settingsToggle")
        self.settings_toggle.setText("Settings")
        self.settings_toggle.setCheckable(True)
        self.settings_toggle.setChecked(True)
        self.settings_toggle.setToolTip(
            "Show or hide the data, model and optimiser settings (hidden automatically when "
            "the tab is narrow: the curves and filters get the room)"
        )
        self.train_button = self._button(
            "Train", "trainButton", "Build a new network from the settings and train it"
        )
        self.train_button.setDefault(True)
        self.pause_button = self._button("Pause", "pauseButton")
        self.resume_button = self._button("Resume", "resumeButton")
        self.stop_button = self._button(
            "Stop", "stopButton", "End training and keep the weights learned so far"
        )
        self.step_button = self._button(
            "Step", "stepButton", "Train on exactly one batch, then pause"
        )
        self.reset_button = self._button(
            "Reset", "resetButton", "Forget the trained network and start from random weights"
        )
        # the style's play icon, not a glyph: many fonts lack the media signs
        self.train_button.setIcon(
            self.train_button.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.settings_toggle)
        for button in (
            self.train_button,
            self.pause_button,
            self.resume_button,
            self.stop_button,
            self.step_button,
            self.reset_button,
        ):
            row.addWidget(compact_button(button))
        row.addStretch(1)
        row.addWidget(help_button(self, help_title, help_html))

    @staticmethod
    def _button(text: str, name: str, tip: str = "") -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        if tip:
            button.setToolTip(tip)
        return button

    def set_running(self, running: bool, paused: bool) -> None:
        """Enable what makes sense now: Train when idle, Pause or Resume (one place for both,
        so the row stays short enough for a narrow tab), Stop while running, Step when idle or
        paused."""
        paused = running and paused
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(running and not paused)
        self.resume_button.setEnabled(paused)
        self.pause_button.setVisible(not paused)
        self.resume_button.setVisible(paused)
        self.stop_button.setEnabled(running)
        self.step_button.setEnabled(not running or paused)
