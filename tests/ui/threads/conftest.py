"""The filter worker the worker tests drive: an empty pipeline, stopped within a second after."""

from __future__ import annotations

import pytest

from convlab.engine.pipeline import Pipeline
from convlab.ui.threads.filter_worker import FilterWorker


@pytest.fixture
def worker():
    thread = FilterWorker(Pipeline())
    yield thread
    assert thread.stop(timeout=1.0)
