"""Regenerate test_card.png beside this script: ``python resources/images/make_test_card.py``.

The drawing lives in ``convlab.engine.patterns`` so the moving test pattern and this card
stay the same picture; this script only writes it to disk.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a plain checkout

from convlab.engine.patterns import draw_test_card

OUTPUT = Path(__file__).resolve().parent / "test_card.png"


def main() -> int:
    card = draw_test_card(960, 640)
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(card, cv2.COLOR_RGB2BGR))
    if not ok:
        print("could not encode the test card", file=sys.stderr)
        return 1
    encoded.tofile(str(OUTPUT))
    print(f"wrote {OUTPUT} ({card.shape[1]}x{card.shape[0]}, {OUTPUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
