"""Settings for every test.

Tests run headless on any platform unless QT_QPA_PLATFORM says otherwise (plain ``pytest`` on
Windows or macOS behaves like ``make test``), and keep convolve's measured costs in a folder of
their own instead of the user's cache, measured before the first test: every thread then makes
the same choices, so results compared for equality come from the same method.
"""

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True, scope="session")
def private_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from convlab.engine import calibration
    from convlab.engine.calibration import CACHE_ENV

    previous = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("cache"))
    calibration.cost_table()  # now, so no thread ever sees the provisional costs
    yield
    if previous is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = previous
