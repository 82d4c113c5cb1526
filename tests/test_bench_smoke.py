"""`python -m bench --smoke`: every benchmark runs at tiny sizes, the results have their shape, nothing failed.

It starts gunicorn, Celery workers (threads pool), beat and the fake partner, on PostgreSQL and Redis
when DATABASE_URL / CELERY_BROKER_URL are set (database hub_bench_smoke_<run>, Redis db 8: see SMOKE_NAME),
else on SQLite and the embedded SQLite broker. About 40-60 s. No timing is asserted: the figures depend on
the machine; what is asserted is that every order reached the fake partner exactly once.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.worker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
# Named after the test run: two runs on one machine (or one PostgreSQL server) never share a database.
SMOKE_NAME = os.environ.get("BENCH_SMOKE_NAME", f"bench-smoke-{os.environ.get('HUB_TEST_RUN_ID', os.getpid())}")
SMOKE_REDIS_DB = os.environ.get("BENCH_SMOKE_REDIS_DB", "8")


def run_bench(results_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--name", SMOKE_NAME, "--redis-db", SMOKE_REDIS_DB,
         "--results-dir", str(results_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def processes_left(name: str) -> list[int]:
    """Pids of processes a run named `name` started that are still alive."""
    marker = f"BENCH_NAME={name}".encode()
    left = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    left.append(int(entry.name))
            except OSError:
                continue
    return left


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    results_dir = tmp_path_factory.mktemp("bench-results")
    return run_bench(results_dir), results_dir


@pytest.fixture(scope="module")
def results(smoke) -> dict:
    done, results_dir = smoke
    assert done.returncode == 0, f"stdout:\n{done.stdout[-2000:]}\nstderr:\n{done.stderr[-4000:]}"
    return json.loads((results_dir / "latest.json").read_text(encoding="utf-8"))


def test_ingest_and_ceiling_answered_and_stored_every_request(results):
    # given / when: the smoke run
    # then
    for name in ("ingest", "ceiling"):
        figures = results[name]
        assert figures["requests"] > 0
        assert figures["errors"] == 0, figures["error_kinds"]
        assert figures["stored"] == figures["ok"] == figures["requests"]
        assert set(figures) >= {"rps", "p50_ms", "p99_ms", "cpu_pct", "loadavg"}
        assert figures["web_cpu_ms_per_request"] > 0
        assert figures["server_cpu_ms_per_request"] >= figures["web_cpu_ms_per_request"]


def test_dispatch_delivered_the_whole_backlog_and_ran_its_ceiling(results):
    dispatch = results["dispatch"]
    assert (dispatch["n"], dispatch["delivered"], dispatch["failed"]) == (20, 20, 0)
    assert dispatch["partner_received"] == 20
    assert dispatch["ceiling"]["n"] == 20
    assert dispatch["ceiling"]["failed"] == 0
    assert dispatch["deliveries_per_s"] > 0
    assert dispatch["worker_cpu_ms_per_delivery"] > 0
    assert "--pool threads --concurrency 32" in results["meta"]["worker"]


def test_the_fake_partner_took_every_check_request_at_once(results):
    check = results["partner_check"]
    assert check["answered"] == check["concurrency"] == 20
    assert check["latency_ms"] == 200
    assert check["peak_in_flight"] > 1


def test_each_burst_reached_the_partner_exactly_once_at_each_latency(results):
    # given / when: the smoke run, partner latencies 0 and 200 ms
    entries = results["latency"]
    # then
    assert [e["latency_ms"] for e in entries] == [0, 200]
    for entry in entries:
        burst = entry["burst"]
        assert (burst["n"], burst["accepted"], burst["delivered"], burst["received"]) == (20, 20, 20, 20)
        assert (burst["lost"], burst["sent_twice"], burst["claimed_more_than_once"]) == (0, 0, 0)
        assert burst["attempt_rows"] == burst["deliveries"] == 20
        assert burst["attempt_outcomes"] == {"delivered": 20}
        assert burst["deliveries_per_s"] > 0
        assert burst["rss_before_mb"][0] > 0
        assert burst["rss_after_mb"][0] > 0
        assert 0 < burst["peak_in_flight"] <= results["meta"]["partner_max_in_flight"]


def test_each_steady_rate_reached_the_partner_exactly_once_at_each_latency(results):
    for entry in results["latency"]:
        steady = entry["steady"]
        assert steady["sent"] == steady["accepted"] == steady["arrived"] == 10
        assert (steady["missing"], steady["errors"], steady["sent_twice"]) == (0, 0, 0)
        assert steady["attempt_rows"] == 10
        # the answer leaves the partner its latency after the request arrived
        assert steady["answered_p99_ms"] >= steady["p99_ms"] + 0.9 * entry["latency_ms"]


def test_two_worker_processes_sent_no_delivery_twice(results):
    # given: every row of the burst queued twice (its webhook's task and a sweep), two worker processes
    scale = results["scale_out"]
    # then
    assert (scale["workers"], scale["n"], scale["requeued"]) == (2, 20, 20)
    assert (scale["lost"], scale["sent_twice"], scale["claimed_more_than_once"]) == (0, 0, 0)
    assert scale["deliveries_with_several_attempts"] == 0
    assert scale["attempt_rows"] == scale["deliveries"] == scale["received"] == 20


def test_every_accepted_order_reached_the_partner_end_to_end(results):
    e2e = results["e2e"]
    assert e2e["sent"] == e2e["accepted"] == e2e["arrived"] == 10
    assert e2e["missing"] == e2e["errors"] == 0
    assert e2e["p50_ms"] > 0


def test_growth_measured_every_size(results):
    growth = results["growth"]
    assert growth["errors"] == 0
    assert [s["target"] for s in growth["sizes"] if "queries" in s] == [10, 50]
    assert [s["target"] for s in growth["sizes"] if "admin_list_p50_ms" in s] == [50, 100]
    for size in growth["sizes"]:
        if "queries" in size:
            assert set(size["queries"]) == {"admin_list", "admin_search", "admin_order", "api_order"}
            assert all(count > 0 for count in size["queries"].values())


def test_memory_was_sampled_for_both_processes(results):
    memory = results["memory"]
    assert memory["web"][0]["when"] == "start"
    assert memory["worker"][-1]["when"] == "after 40 drained"
    assert "before burst at 200 ms" in [sample["when"] for sample in memory["worker"]]
    assert all(sample["mb"] > 0 for sample in memory["web"] + memory["worker"])
    assert results["drain"]["failed"] == 0


def test_goals_are_judged_and_nothing_was_lost(results):
    goals = {goal["goal"]: goal["met"] for goal in results["goals"]}
    assert goals["nothing lost or failed"] is True
    assert goals["bursts and steady rates: every order reached the partner exactly once"] is True
    assert goals["two worker processes, every row queued twice: no delivery sent twice (20)"] is True
    assert goals["the partner's cap on requests in flight, across workers"] is True
    assert len(goals) >= 18


def test_the_report_is_written_and_every_process_is_stopped(smoke, results):
    done, results_dir = smoke
    report = (results_dir / "latest.md").read_text(encoding="utf-8")
    for section in ("## Goals", "## Burst", "## Steady rate", "## Scale-out", "Machine load average"):
        assert section in report
    assert (results_dir / f"latest-{results['meta']['database']}.json").exists()
    assert processes_left(SMOKE_NAME) == []
