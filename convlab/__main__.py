"""``python -m convlab``: the same as the ``convlab`` command."""

from convlab.app import main

raise SystemExit(main())
