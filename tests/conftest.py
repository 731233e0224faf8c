"""Every test runs headless, on any platform, unless QT_QPA_PLATFORM says otherwise: plain
``pytest`` (Windows, macOS) then behaves like ``make test``."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
