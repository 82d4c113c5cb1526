"""The entry point: `python -m bench [flags]` (`make bench BENCH_ARGS=...`).

Creates the benchmark's own database and broker, migrates, runs every benchmark, prints the
Markdown table, writes bench/results/latest.{md,json} (and latest-<database>.*), and stops every
process it started and drops its database, whatever happens (Ctrl-C included).
Exit status: 0 done, 1 done but something was lost or failed, 2 a benchmark could not run, 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.environment import VAR, BenchEnvironment
from bench.load import RECONNECT_EVERY
from bench.processes import ProcessFailedError, ProcessGroup, install_sigterm_handler
from bench.report import RESULTS_DIR, goals_evaluate, markdown, results_write

if TYPE_CHECKING:
    from bench.suite import Options

SMOKE = {"seconds": 2.0, "concurrency": 2, "dispatch_n": 20, "drain_n": 40, "drain_chunk": 20, "e2e_rate": 5.0,
         "e2e_seconds": 2.0, "growth_sizes": "50,100", "query_sizes": "10,50", "round_trips": 5,
         "burst_n": 20, "steady_rate": 5.0, "steady_seconds": 2.0, "scale_n": 20, "partner_check": 20,
         "name": "bench-smoke", "redis_db": 8}


def _sizes(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def _latencies(text: str) -> list[float]:
    return sorted({float(part) for part in text.split(",") if part.strip()})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description="Benchmarks of the order status hub.")
    p.add_argument("--seconds", type=float, default=20.0, help="ingest and ceiling run time each (20)")
    p.add_argument("--concurrency", type=int, default=16, help="ingest and ceiling concurrency (16)")
    p.add_argument("--dispatch-n", type=int, default=2000, help="dispatch backlog (2000)")
    p.add_argument("--drain-n", type=int, default=20_000, help="deliveries drained for the memory figure (20000)")
    p.add_argument("--full", action="store_true", help="drain 100,000 deliveries for the memory figure")
    p.add_argument("--drain-chunk", type=int, default=2000, help="deliveries the sweeper queues at a time (2000)")
    p.add_argument("--e2e-rate", type=float, default=20.0, help="end to end orders per second (20)")
    p.add_argument("--e2e-seconds", type=float, default=15.0, help="end to end run time (15)")
    p.add_argument("--growth-sizes", default="1000,100000", help="orders stored for the growth timings")
    p.add_argument("--query-sizes", default="10,1000", help="orders stored for the query counts")
    p.add_argument("--round-trips", type=int, default=100, help="sequential webhooks per growth size (100)")
    p.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (2, as the Procfile)")
    p.add_argument("--web-threads", type=int, default=4, help="gunicorn threads per worker (4, as the Procfile)")
    p.add_argument("--worker-pool", default="threads", help="Celery pool of each worker process (threads)")
    p.add_argument("--worker-concurrency", type=int, default=32, help="Celery concurrency of each worker process (32)")
    p.add_argument("--latencies", default="0,200",
                   help="partner latencies in ms for the burst and the steady rate (0,200)")
    p.add_argument("--burst-n", type=int, default=1000, help="new orders of each burst (1000)")
    p.add_argument("--burst-concurrency", type=int, default=16, help="webhooks in flight while a burst is sent (16)")
    p.add_argument("--steady-rate", type=float, default=50.0, help="orders/s of the steady rate at each latency (50)")
    p.add_argument("--steady-seconds", type=float, default=20.0, help="steady rate run time (20)")
    p.add_argument("--scale-n", type=int, default=1000,
                   help="new orders of the burst two worker processes drain, at the highest latency (1000; 0 skips)")
    p.add_argument("--partner-check", type=int, default=200,
                   help="requests sent to the fake partner at once to check it does not serialise (200)")
    p.add_argument("--profile", action="store_true",
                   help="py-spy the web workers (ingest) and the worker (dispatch, each burst)")
    p.add_argument("--profile-gil", action="store_true",
                   help="as --profile, sampling only the thread that holds the GIL (where the CPU goes)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds (tests/test_bench_smoke.py)")
    p.add_argument("--name", default="bench", help="names the database hub_<name>, var/<name>.sqlite3 and so on")
    p.add_argument("--redis-db", type=int, default=7, help="Redis database of the benchmark's broker (7)")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    p.add_argument("--keep-db", action="store_true", help="keep the database and broker afterwards")
    p.add_argument("--settings", default="bench.settings",
                   help="settings module of every process (one that imports bench.settings, to try a change)")
    args = p.parse_args(argv)
    if args.smoke:
        defaults = {action.dest: action.default for action in p._actions}
        for key, value in SMOKE.items():
            if getattr(args, key) == defaults[key]:  # an explicit flag still wins
                setattr(args, key, value)
    if args.full:
        args.drain_n = 100_000
    return args


def _options(args: argparse.Namespace) -> Options:
    from bench.suite import Options

    return Options(
        seconds=args.seconds, concurrency=args.concurrency, dispatch_n=args.dispatch_n, drain_n=args.drain_n,
        drain_chunk=args.drain_chunk, e2e_rate=args.e2e_rate, e2e_seconds=args.e2e_seconds,
        growth_sizes=_sizes(args.growth_sizes), query_sizes=_sizes(args.query_sizes), round_trips=args.round_trips,
        web_workers=args.web_workers, web_threads=args.web_threads, profile=args.profile,
        profile_gil=args.profile_gil,
        latencies=_latencies(args.latencies), burst_n=args.burst_n, burst_concurrency=args.burst_concurrency,
        steady_rate=args.steady_rate, steady_seconds=args.steady_seconds, scale_n=args.scale_n,
        worker_pool=args.worker_pool, worker_concurrency=args.worker_concurrency, partner_check=args.partner_check,
    )


def _meta(args: argparse.Namespace, env: BenchEnvironment, started: float) -> dict[str, Any]:
    from django.conf import settings

    return {
        "started_at": datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "duration_s": round(time.time() - started, 1), "database": env.vendor, "broker": env.broker,
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "web": f"gunicorn hub.wsgi, {args.web_workers} workers × {args.web_threads} threads (gthread), access log on",
        "worker": f"celery worker --pool {args.worker_pool} --concurrency {args.worker_concurrency} (1 process; "
                  f"2 for the scale-out burst), prefetch multiplier {settings.CELERY_WORKER_PREFETCH_MULTIPLIER}, "
                  f"{settings.DELIVERY_SEND_THREADS} sending threads",
        "partner_max_in_flight": settings.CHANNEL_LIMITS.get("imshop", {}).get("max_in_flight", 0),
        "load": f"Python http.client threads, keep-alive renewed every {RECONNECT_EVERY} requests",
        "settings": env.settings_module,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }


def _prepare(env: BenchEnvironment) -> None:
    """A fresh database and broker, migrated, with the ceiling's table."""
    import django

    env.database_create()
    env.broker_reset()
    os.environ.update(env.process_env())
    django.setup()
    from django.core.management import call_command

    from bench.ceiling import ceiling_table_ensure

    call_command("migrate", interactive=False, verbosity=0)
    ceiling_table_ensure()


def _cleanup(env: BenchEnvironment, group: ProcessGroup, *, keep: bool) -> None:
    group.close()
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: BLE001, S110 - Django may not be set up yet; nothing to close then
        pass
    if not keep:
        env.database_drop()
        env.broker_remove()
    for path in VAR.glob(f"{env.name}-celerybeat-schedule*"):
        path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    install_sigterm_handler()
    # whitenoise warns about the missing collectstatic folder in every process; it serves from the apps.
    warnings.filterwarnings("ignore", message="No directory at")
    env = BenchEnvironment.from_environ(name=args.name, redis_db=args.redis_db, settings_module=args.settings)
    started = time.time()
    print(f"[bench] {env.vendor} + {env.broker} broker; logs in {env.log_dir}", file=sys.stderr, flush=True)
    group = ProcessGroup(env=env.process_env(), log_dir=env.log_dir)
    try:
        _prepare(env)
        from bench.suite import Suite

        results = Suite(options=_options(args), env=env, group=group).run()
    except KeyboardInterrupt:
        print("[bench] interrupted: stopping everything", file=sys.stderr)
        return 130
    except ProcessFailedError as exc:
        print(f"[bench] failed: {exc}", file=sys.stderr)
        return 2
    finally:
        _cleanup(env, group, keep=args.keep_db)
    results["meta"] = _meta(args, env, started)
    results["goals"] = goals_evaluate(results)
    print(markdown(results))
    for path in results_write(results, directory=args.results_dir):
        print(f"[bench] wrote {path}", file=sys.stderr)
    return 0 if all(g["met"] for g in results["goals"] if g["goal"] == "nothing lost or failed") else 1
