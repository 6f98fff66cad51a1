#!/usr/bin/env python3
"""Measure validate, build, frictionless and the bare reads on synthetic packages and print the table
of figures (docs/scaling.md). The arguments are those of `python -m benchmarks.run`: --help lists them.

    python scripts/benchmark.py --sizes 100000 --skip-frictionless
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, which holds benchmarks/

from benchmarks.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
