"""`python -m bench --smoke`: every benchmark runs at tiny sizes, the results have their shape, nothing failed.

It starts gunicorn, a Celery worker, beat and the fake partner, on PostgreSQL and Redis when
DATABASE_URL / CELERY_BROKER_URL are set (database hub_bench_smoke_<run>, Redis db 8), else on SQLite and
the embedded SQLite broker. About 20-30 s. No timing is asserted: the figures depend on the machine.
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
SMOKE_NAME = f"bench-smoke-{os.environ.get('HUB_TEST_RUN_ID', os.getpid())}"


def run_bench(results_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--name", SMOKE_NAME, "--results-dir", str(results_dir)],
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
        assert set(figures) >= {"rps", "p50_ms", "p99_ms", "cpu_pct"}


def test_dispatch_delivered_the_whole_backlog_and_ran_its_ceiling(results):
    dispatch = results["dispatch"]
    assert (dispatch["n"], dispatch["delivered"], dispatch["failed"]) == (20, 20, 0)
    assert dispatch["partner_received"] == 20
    assert dispatch["ceiling"]["n"] == 20
    assert dispatch["ceiling"]["failed"] == 0
    assert dispatch["deliveries_per_s"] > 0


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
            assert set(size["queries"]) == {"admin_list", "admin_order", "api_order"}
            assert all(count > 0 for count in size["queries"].values())


def test_memory_was_sampled_for_both_processes(results):
    memory = results["memory"]
    assert memory["web"][0]["when"] == "start"
    assert memory["worker"][-1]["when"] == "after 40 drained"
    assert all(sample["mb"] > 0 for sample in memory["web"] + memory["worker"])
    assert results["drain"]["failed"] == 0


def test_goals_are_judged_and_nothing_was_lost(results):
    goals = {goal["goal"]: goal["met"] for goal in results["goals"]}
    assert goals["nothing lost or failed"] is True
    assert len(goals) >= 12


def test_the_report_is_written_and_every_process_is_stopped(smoke, results):
    done, results_dir = smoke
    assert "## Goals" in (results_dir / "latest.md").read_text(encoding="utf-8")
    assert (results_dir / f"latest-{results['meta']['database']}.json").exists()
    assert processes_left(SMOKE_NAME) == []
