"""Training beside a live view: the Train tab's curves and insight do no drawing work while
they are off screen, and show everything that came meanwhile when they come back."""

from __future__ import annotations

import dataclasses

import numpy as np

from convlab.cnn.evaluate import Evaluation
from convlab.cnn.progress import TrainingProgress
from convlab.ui.training.curves import TrainingCurves
from convlab.ui.training.insight_section import InsightSection


def report(step: int, loss: float) -> TrainingProgress:
    return TrainingProgress(
        name="CNN", epoch=1, epochs=1, step=step, total_steps=10, loss=loss, accuracy=0.5,
        val_accuracy=None, images_per_s=1.0, eta_s=1.0, elapsed_s=1.0, paused=False,
        done=False, fresh_batches=1, parameters=10,
    )  # fmt: skip


def test_curves_off_screen_keep_their_points_and_draw_them_when_shown(qtbot, tmp_path):
    curves = TrainingCurves()
    qtbot.addWidget(curves)
    for step, loss in ((1, 2.3), (2, 1.9), (3, 1.4)):
        curves.add(report(step, loss))
    assert [row["loss"] for row in curves.rows] == [2.3, 1.9, 1.4]
    assert curves.loss_curve.xData is None or len(curves.loss_curve.xData) == 0  # not drawn
    curves.export_png(tmp_path / "curves.png")  # an export from off screen has every point
    assert list(curves.loss_curve.yData) == [2.3, 1.9, 1.4]
    curves.add(report(4, 1.0))
    curves.show()
    qtbot.waitExposed(curves)
    assert list(curves.loss_curve.xData) == [1, 2, 3, 4]
    curves.add(report(5, 0.8))  # on screen: drawn at once
    assert list(curves.loss_curve.yData) == [2.3, 1.9, 1.4, 1.0, 0.8]


def test_the_validation_points_follow_the_epochs_measured(qtbot):
    curves = TrainingCurves()
    qtbot.addWidget(curves)
    curves.show()
    qtbot.waitExposed(curves)
    measured = Evaluation(np.zeros(4, int), np.zeros((4, 10), np.float32), 0.0)
    for step, accuracy in ((3, 0.0), (6, 0.75)):
        curves.add(report(step - 1, 1.0))
        curves.add(
            dataclasses.replace(report(step, 1.0), val_accuracy=accuracy, evaluation=measured)
        )
    curves.add(report(7, 0.9))  # a report with no measurement leaves the points as they are
    assert list(curves.val_curve.xData) == [3, 6]
    assert list(curves.val_curve.yData) == [0.0, 0.75]  # an accuracy of 0 is a point too
    curves.clear()
    curves.add(dataclasses.replace(report(2, 1.0), val_accuracy=0.5, evaluation=measured))
    assert list(curves.val_curve.xData) == [2]


def test_insight_off_screen_skips_its_forward_pass_until_shown(qtbot, monkeypatch):
    section = InsightSection()
    qtbot.addWidget(section)
    refreshed: list[int] = []
    monkeypatch.setattr(section.sample_tab, "refresh", lambda: refreshed.append(1))
    section.refresh()
    assert refreshed == []
    section.show()
    qtbot.waitExposed(section)
    qtbot.waitUntil(lambda: refreshed == [1], timeout=2000)
    section.refresh()
    assert refreshed == [1, 1]
