"""The ``rnnlab`` command line. Each pipeline stage is a subcommand, so every stage also runs by
hand. Known errors, a user's path that the OS refuses and a bad command line print one line
(``rnnlab COMMAND: error: ...``) and exit 1; heavy modules (torch, matplotlib) are imported only
by the subcommand that needs them.

Modules: parser (the flags, help and examples), commands (one function per subcommand) and
run (``main``, errors as one line); ``python -m rnnlab.cli`` runs ``main``."""

from rnnlab.cli.parser import build_parser
from rnnlab.cli.run import main

__all__ = ["build_parser", "main"]
