"""Compile the contracts offline and write (or check) the committed artifacts in contracts/build/.

python scripts/compile_contracts.py          # write contracts/build/*.json
python scripts/compile_contracts.py --check  # exit 1 if they differ from a fresh compile
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Runnable as a plain script from a checkout, without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.chain import solc  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--check", action="store_true", help="only compare the committed artifacts with a fresh compile"
    )
    args = parser.parse_args(argv)

    solc.install_shim()
    artifacts = solc.compile_contracts()
    if args.check:
        stale = solc.stale_artifacts(artifacts)
        for name in stale:
            print(
                f"{solc.artifact_path(name).relative_to(solc.REPO_ROOT)} differs from a fresh compile", file=sys.stderr
            )
        if stale:
            print("run: python scripts/compile_contracts.py", file=sys.stderr)
            return 1
        print(f"{len(artifacts)} artifact(s) match their sources")
        return 0
    for path in solc.write_artifacts(artifacts):
        print(f"wrote {path.relative_to(solc.REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
