"""``python -m convlab`` and the ``convlab`` command.

The window is imported inside ``run``: a training process (a fresh interpreter) imports the
program's main module, and must not load Qt or start anything when it does.
"""


def run() -> int:
    from convlab.app import main

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
