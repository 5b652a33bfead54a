"""``python -m sim`` is the same as the ``salesim`` command."""

from sim.cli.main import main

raise SystemExit(main())
