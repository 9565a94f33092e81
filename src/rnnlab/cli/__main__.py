"""``python -m rnnlab.cli``: the ``rnnlab`` command."""

import sys

from rnnlab.cli.run import main

sys.exit(main())
