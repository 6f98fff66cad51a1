#!/usr/bin/env python3
"""Record a release of the data: the checks CI runs on the data, then `karabakh-data release`, which
writes data/release.json and data/released_ids.csv. Stops at the first step that fails, before
anything is written. Run it on the commit to tag, after setting the version and running build and
export (CONTRIBUTING.md, section 3).

    python scripts/release.py [--root PATH]
"""

import argparse
import sys

from karabakh_data import cli

# build --check validates first (and says every problem), so validate is not a step of its own
STEPS = (["fmt", "--check"], ["build", "--check"], ["export", "--check"], ["release"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/release.py", description=__doc__.split("\n")[0])
    parser.add_argument("--root", help="repository to release (default: the one containing the current directory)")
    args = parser.parse_args(argv)
    for step in STEPS:
        print(f"== karabakh-data {' '.join(step)}", flush=True)
        code = cli.main((["--root", args.root] if args.root else []) + step)
        if code:
            print(f"release stopped: `karabakh-data {' '.join(step)}` exited {code}", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
