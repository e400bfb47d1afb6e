"""`saksi`: the command line. Each command parses typed options and calls one library function.

Domain errors become one plain line on stderr and the exit code of their kind
(ledger.errors: 1 verification failed, 2 invalid input, 3 not found, 4 conflict,
5 signature/signer, 75 retry later).
"""

from __future__ import annotations

import sys

# Importing the command modules registers their commands on `app`.
from ledger.cli import commands as _commands  # noqa: E402,F401
from ledger.cli.app import app, run


def main() -> None:
    sys.exit(run(app))


__all__ = ["app", "main"]
