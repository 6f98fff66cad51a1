#!/usr/bin/env python3
"""Write a synthetic repository of any size in the project's schemas, for benchmarks and scale tests.
The arguments are those of `python -m benchmarks.synth`: --help lists them.

    python scripts/synthetic_package.py OUTDIR --events 100000 --seed 1
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, which holds benchmarks/

from benchmarks.synth import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
