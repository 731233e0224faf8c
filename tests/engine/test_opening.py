"""Opening beside what plays: the answer, a cancelled open's device released, and a deadline
that answers for a driver that does not (whatever it opens later is released too)."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from convlab.engine import cameras, sources
from convlab.engine.opening import PendingOpen
from convlab.engine.sources import ImageSource, VideoSource
from convlab.errors import SourceError


class Device:
    """What an open gives: counts its release."""

    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def gated(gate: threading.Event, made: list[Device]):
    """An opener that answers only once ``gate`` is set (a slow driver)."""

    def opener(spec, **options):
        assert gate.wait(10.0)
        made.append(Device())
        return made[-1]

    return opener


def test_the_answer_is_handed_over_once_and_wake_says_when() -> None:
    woken = threading.Event()
    pending = PendingOpen(np.zeros((4, 4), np.uint8), opener=sources.open_source, wake=woken.set)
    assert woken.wait(5.0) and pending.done.is_set()
    source = pending.result()
    assert isinstance(source, ImageSource) and source.size == (4, 4)
    with pytest.raises(RuntimeError, match="already taken"):
        pending.result()


def test_a_failed_open_raises_its_own_error() -> None:
    def failing(spec, **options):
        raise SourceError(f"Camera {spec}: could not be opened (no such device?)")

    pending = PendingOpen(3, opener=failing)
    assert pending.done.wait(5.0)
    with pytest.raises(SourceError, match="Camera 3: could not be opened"):
        pending.result()


def test_a_cancelled_open_releases_what_it_opens_later() -> None:
    gate, made, woken = threading.Event(), [], threading.Event()
    pending = PendingOpen(0, opener=gated(gate, made), wake=woken.set)
    pending.cancel()
    gate.set()
    assert pending.join(5.0)
    assert [device.closed for device in made] == [1]
    assert not woken.is_set() and not pending.done.is_set()


def test_cancelling_an_answer_nobody_took_releases_it() -> None:
    pending = PendingOpen(0, opener=lambda spec: Device())
    assert pending.done.wait(5.0)
    device = pending._result
    pending.cancel()
    assert device.closed == 1


def test_the_deadline_answers_for_a_driver_that_does_not_and_its_device_is_released() -> None:
    gate, made, woken = threading.Event(), [], threading.Event()
    pending = PendingOpen(
        2, opener=gated(gate, made), wake=woken.set, deadline=0.2, name="Camera 2 (HD cam)"
    )
    assert woken.wait(5.0)  # the driver has not answered: the deadline did
    expected = "Camera 2 (HD cam): did not respond within 0.2 s (device busy, or stream"
    with pytest.raises(SourceError, match=re.escape(expected)):
        pending.result()
    gate.set()  # the driver answers at last
    assert pending.join(5.0)
    assert [device.closed for device in made] == [1]  # nobody wanted it any more


def test_an_answer_before_the_deadline_stands() -> None:
    pending = PendingOpen(0, opener=lambda spec: Device(), deadline=30.0)
    assert pending.done.wait(5.0)
    assert isinstance(pending.result(), Device)


def test_the_deadline_counts_from_the_open_not_from_waiting_for_the_device() -> None:
    released, made = threading.Event(), []
    pending = PendingOpen(
        0,
        opener=lambda spec: made.append(Device()) or made[-1],
        before=lambda: released.wait(10.0),  # the previous capture still holds the camera
        deadline=0.05,
    )
    assert not pending.done.wait(0.3)  # no deadline while waiting for the release
    released.set()
    assert pending.done.wait(5.0)
    assert pending.result() is made[0]


def test_a_camera_driver_that_hangs_is_given_up() -> None:
    gate = threading.Event()
    captures: list[object] = []

    def hanging(target, api, params):
        gate.wait(10.0)
        captures.append(HangingCapture())
        return captures[-1]

    name, seconds = sources.open_deadline(2, {"open_timeout": 0.3})
    pending = PendingOpen(
        2,
        {"capture_factory": hanging},
        opener=VideoSource,
        deadline=seconds,
        name=name,
    )
    assert pending.done.wait(5.0)
    with pytest.raises(SourceError, match=re.escape("Camera 2: did not respond within 0.3 s")):
        pending.result()
    gate.set()
    assert pending.join(5.0)
    assert captures[0].released  # the source that came too late was closed


class HangingCapture:
    """cv2.VideoCapture's surface, one frame deep."""

    def __init__(self) -> None:
        self.released = False

    def isOpened(self) -> bool:
        return not self.released

    def read(self):
        return True, np.zeros((4, 4, 3), np.uint8)

    def set(self, prop, value) -> bool:
        return True

    def get(self, prop) -> float:
        return 0.0

    def release(self) -> None:
        self.released = True


def test_probing_cameras_gives_up_on_one_that_hangs(monkeypatch) -> None:
    gate = threading.Event()

    def opens(index: int) -> bool:
        if index == 1:
            gate.wait(10.0)  # a driver stuck in open
        return index in (0, 1)

    monkeypatch.setattr(cameras, "_opens", opens)
    monkeypatch.setattr(cameras, "camera_device_missing", lambda index: False)
    try:
        assert cameras.probe_indices(max_index=2, timeout=0.2) == [0]
    finally:
        gate.set()
