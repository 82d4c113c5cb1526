"""`python -m bench`: run the benchmarks (see bench/run.py for the flags)."""

from bench.run import main

raise SystemExit(main())
