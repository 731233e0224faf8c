"""The predicted class shown on top of the live view (after training on webcam classes).

The Train tab only emits ``liveClassification(str)``; this caption is what the window lays
over its source view, so the prediction is visible where people are looking: on themselves.
Usage in the window: ``LiveClassificationOverlay.attach(source_view, tab.liveClassification)``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, SignalInstance
from PySide6.QtWidgets import QLabel, QWidget

MARGIN = 12


class LiveClassificationOverlay(QLabel):
    """A dark rounded caption in the top-left corner of ``view``; hidden when the text is ""."""

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.setObjectName("liveClassificationOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "QLabel { background: rgba(0, 0, 0, 170); color: white; font-weight: bold;"
            " font-size: 18pt; padding: 6px 12px; border-radius: 8px; }"
        )
        self.hide()
        view.installEventFilter(self)

    @classmethod
    def attach(cls, view: QWidget, signal: SignalInstance) -> LiveClassificationOverlay:
        overlay = cls(view)
        signal.connect(overlay.show_text)
        return overlay

    def show_text(self, text: str) -> None:
        if not text:
            self.hide()
            return
        self.setText(text)
        self.adjustSize()
        self.move(MARGIN, MARGIN)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.move(MARGIN, MARGIN)
            self.raise_()
        return False
