"""The row under the curves: save or load the network, export the curves as CSV or PNG."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from convlab.ui import file_dialogs


class FileActions(QWidget):
    """Asks for a file name and says which file was chosen; the tab does the writing."""

    saveModel = Signal(str)
    loadModel = Signal(str)
    exportCsv = Signal(str)
    exportPng = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(QLabel("Network"))
        self._add(row, "Save…", "Save the network (.npz)", self._save, "saveModelButton")
        self._add(row, "Load…", "Load a network (.npz)", self._load, "loadModelButton")
        row.addSpacing(8)
        row.addWidget(QLabel("Curves"))
        self._add(row, "CSV…", "Export the curves as a table", self._csv, "exportCsvButton")
        self._add(row, "PNG…", "Export the curves as a picture", self._png, "exportPngButton")
        row.addStretch(1)

    @staticmethod
    def _add(row: QHBoxLayout, text: str, tip: str, slot: Callable[[], None], name: str) -> None:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setObjectName(name)
        button.clicked.connect(slot)
        row.addWidget(button)

    def _save(self) -> None:
        path = file_dialogs.save_file(
            self, "model", "Save model", "convlab-model.npz", "ConvLab model (*.npz)"
        )
        if path:
            self.saveModel.emit(path)

    def _load(self) -> None:
        path = file_dialogs.open_file(self, "model", "Load model", "ConvLab model (*.npz)")
        if path:
            self.loadModel.emit(path)

    def _csv(self) -> None:
        path = file_dialogs.save_file(self, "export", "Export curves", "curves.csv", "CSV (*.csv)")
        if path:
            self.exportCsv.emit(path)

    def _png(self) -> None:
        path = file_dialogs.save_file(self, "export", "Export curves", "curves.png", "PNG (*.png)")
        if path:
            self.exportPng.emit(path)
