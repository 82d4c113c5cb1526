"""`python -m bench.serve web|tasks ARGS`: gunicorn or Celery, run in this process with ARGS.

The same code and options as `gunicorn ARGS` and `celery ARGS`; only the command line differs, so
that a `pkill -f "gunicorn hub.wsgi"` or `pkill -f "celery -A hub"` meant for a `make run` on the
same machine does not stop a benchmark half-way.
"""

from __future__ import annotations

import sys


def main() -> None:
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "web":
        from gunicorn.app.wsgiapp import run

        sys.argv = ["gunicorn", *args]
        run()
    elif kind == "tasks":
        from celery.__main__ import main as celery_main

        sys.argv = ["celery", *args]
        celery_main()
    else:
        raise SystemExit(f"usage: python -m bench.serve web|tasks ARGS (not {kind!r})")


if __name__ == "__main__":
    main()
