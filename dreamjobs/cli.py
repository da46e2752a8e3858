"""The one convention of every command line here (`python -m scraper`, `charlm.*`, `webapp`).

`main(argv) -> int` parses its arguments and returns the exit code; run_cli runs it.
An error the user caused (a bad path, a corpus too small, a corrupt checkpoint) is a
UserError whose message is printed as is, with exit status 2; so is an OSError (a
folder that cannot be made, a file that cannot be written). Ctrl-C exits 130, and a
closed stdout (`| head`) ends the program quietly. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import argparse
import errno
import sys
from typing import Callable


class UserError(Exception):
    """An error caused by input, with a message meant for the user."""


def parser(prog: str, doc: str, epilog: str | None = None) -> argparse.ArgumentParser:
    """A command line's parser whose --help shows the module's docstring as written."""
    return argparse.ArgumentParser(prog=prog, description=doc, epilog=epilog,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def os_error_message(exc: OSError) -> str:
    """'cannot write /x/y: Not a directory', from any OSError a path caused."""
    if exc.errno in (errno.EEXIST, errno.ENOTDIR) and exc.filename:
        return f"cannot make the folders of {exc.filename}: a file stands where a folder must be ({exc.strerror})"
    where = f" {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{':' if where else ''}{where}"


def run_cli(main: Callable[[], int | None]) -> None:
    try:
        code = main()
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:
        sys.stdout = None  # nothing more can be written; do not let the final flush fail too
        sys.exit(0)
    except OSError as exc:
        print(f"error: {os_error_message(exc)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
