"""Command line for the benchmarks: ``python -m convlab.bench NAME [options]``."""

from __future__ import annotations

import importlib
import sys

SUITES = (
    "engine",
    "maps",
    "explain",
    "cnn",
    "learning",
    "training",
    "gui",
    "live",
    "soak",
    "hostile",
)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in (*SUITES, "all"):
        print(f"usage: python -m convlab.bench {{{','.join(SUITES)},all}} [options]")
        return 0 if args and args[0] in ("-h", "--help") else 2
    names = SUITES if args[0] == "all" else (args[0],)
    for name in names:
        module = importlib.import_module(f"convlab.bench.{name}")
        status = module.run(args[1:])
        if status:
            return status
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
