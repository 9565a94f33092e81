"""``main``: parse a command line and run its subcommand, with every known error, a user's path
that the OS refuses and a failed allocation printed as one line."""

from __future__ import annotations

import re
import sys

from rnnlab.cli.parser import build_parser
from rnnlab.errors import RnnlabError, bounded


def _fail(command: str, message: str, status: int = 1) -> int:
    """Print an error as one short line (a YAML parser's message spans several, a bad value
    may be megabytes); return ``status``."""
    message = " ".join(line.strip() for line in message.splitlines() if line.strip())
    print(bounded(f"rnnlab {command}: error: {message}"), file=sys.stderr)
    return status


def _out_of_memory(err: BaseException) -> str | None:
    """One line for a failed allocation (torch raises a plain RuntimeError on the CPU and
    torch.OutOfMemoryError, also a RuntimeError, on CUDA); None for any other error."""
    text = str(err)
    if not (isinstance(err, MemoryError) or "can't allocate memory" in text
            or "out of memory" in text.lower()):
        return None
    tried = re.search(r"tried to allocate ([0-9.]+ ?[KMGT]?i?B|[0-9]+ bytes)", text)
    size = f" ({tried.group(1)} at once)" if tried else ""
    return (f"out of memory{size}: the model or its batches do not fit; try a smaller hidden, "
            "layers, batch_size or num_steps")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except RnnlabError as err:
        return _fail(args.command, str(err), getattr(err, "exit_code", 1))
    except OSError as err:  # a user's path: a read-only or full disk, a file in a folder's place
        from rnnlab.fileio import describe_os_error

        return _fail(args.command, describe_os_error(err))
    except (MemoryError, RuntimeError) as err:
        message = _out_of_memory(err)
        if message is None:
            raise
        return _fail(args.command, message)
    except KeyboardInterrupt:
        print(f"rnnlab {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
