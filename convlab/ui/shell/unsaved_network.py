"""On quit: a trained network nobody saved is saved where the person says, or kept aside."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMainWindow, QMessageBox

from convlab.errors import ConvlabError
from convlab.ui import file_dialogs

if TYPE_CHECKING:  # the Train tab is made (and its module imported) only when first shown
    from convlab.ui.training.tab import TrainingTab

RECOVERY_NAME = "recovered-network.npz"  # next to the settings file


def keep_unsaved_network(
    window: QMainWindow, tab: TrainingTab, settings_path: Path, report: Callable[[str], None]
) -> bool:
    """A trained network nobody saved: ask where to save it, or keep a recovery copy.

    The question comes first and training goes on while it is asked: Cancel leaves it
    running; Save stops it (the network is saved as its last batch left it), Discard leaves
    stopping to the close. A window nobody sees (a script that built it without showing it)
    asks nobody: training stops and the weights of its last report go to
    ``recovered-network.npz`` next to the settings at once, so nothing is lost and nothing
    blocks. False means the person cancelled the quit.
    """
    if not getattr(tab, "has_unsaved_model", lambda: False)():
        return True
    interactive = window.isVisible()
    target = settings_path.with_name(RECOVERY_NAME)
    if interactive:
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = QMessageBox.question(
            window, "Quit ConvLab", "The network you trained is not saved. Save it first?",
            buttons, QMessageBox.StandardButton.Save,
        )  # fmt: skip
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Discard:
            return True
        path = file_dialogs.save_file(
            window, "model", "Save the trained network", "convlab-network.npz", "Networks (*.npz)"
        )
        if not path:
            return False
        target = Path(path)
    tab.stop()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tab.save_model(target, wait=interactive)
    except ConvlabError as error:
        report(str(error))
        return not interactive
    return True
