"""The results: goals judged against the figures, a Markdown table, and the files in bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
FLAT_RATIO = 1.5  # a timing at the largest size may be at most this times the smallest size's
FLAT_MB, FLAT_SHARE = 5.0, 0.05  # RSS may grow by max(5 MB, 5 %) from the warm sample to the last
MEMORY_LIMIT_MB = 200.0


def _goal(name: str, target: str, value: str, met: bool | None) -> dict[str, Any]:
    return {"goal": name, "target": target, "value": value, "met": met}


def _flat_memory(samples: list[dict[str, Any]]) -> tuple[str, bool | None]:
    warm = next((s for s in samples if s.get("warm")), None)
    if warm is None or not samples:
        return "no warm sample", None
    growth = samples[-1]["mb"] - warm["mb"]
    return f"{growth:+.1f} MB after {warm['when']}", growth <= max(FLAT_MB, FLAT_SHARE * warm["mb"])


def _memory_goals(memory: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    goals = []
    for key, label in (("web", "gunicorn worker"), ("worker", "Celery worker")):
        samples = memory.get(key, [])
        peak = max((s["mb"] for s in samples), default=0.0)
        goals.append(_goal(f"{label} resident memory", f"< {MEMORY_LIMIT_MB:.0f} MB", f"{peak:.0f} MB peak",
                           peak < MEMORY_LIMIT_MB if samples else None))
        text, flat = _flat_memory(samples)
        goals.append(_goal(f"{label} flat after warm-up", f"≤ +{FLAT_MB:.0f} MB or {FLAT_SHARE:.0%}", text, flat))
    return goals


SEARCH_CEILING_MS = 300


def _growth_goals(growth: dict[str, Any]) -> list[dict[str, Any]]:
    timed = [s for s in growth.get("sizes", []) if "ingest_p50_ms" in s]
    goals = []
    if len(timed) >= 2:
        small, big = timed[0], timed[-1]
        for key, label in (("ingest_p50_ms", "webhook round trip"), ("admin_list_p50_ms", "admin order list")):
            ratio = big[key] / small[key] if small[key] else 0.0
            goals.append(_goal(f"growth flat: {label}", f"{big['target']:,} vs {small['target']:,} orders "
                               f"≤ {FLAT_RATIO}×", f"{small[key]:.1f} → {big[key]:.1f} ms ({ratio:.2f}×)",
                               ratio <= FLAT_RATIO))
        if "admin_search_p90_ms" in big:
            # A substring search reads every row's short search columns: linear, so the goal is a ceiling.
            goals.append(_goal("admin order search", f"p90 < {SEARCH_CEILING_MS:,} ms at {big['target']:,} orders",
                               f"p50 {big['admin_search_p50_ms']:.1f}, p90 {big['admin_search_p90_ms']:.1f} ms",
                               big["admin_search_p90_ms"] < SEARCH_CEILING_MS))
    counted = [s["queries"] for s in growth.get("sizes", []) if "queries" in s]
    if len(counted) >= 2:
        same = all(c == counted[0] for c in counted)
        shown = " → ".join("/".join(str(v) for v in c.values()) for c in counted)
        goals.append(_goal("query counts constant (list/search/page/API)", "same at every size", shown, same))
    return goals


def _errors(results: dict[str, Any]) -> int:
    ingest, ceiling = results.get("ingest", {}), results.get("ceiling", {})
    e2e, dispatch = results.get("e2e", {}), results.get("dispatch", {})
    return sum([
        ingest.get("errors", 0), ingest.get("missing", 0), ceiling.get("errors", 0), ceiling.get("missing", 0),
        dispatch.get("failed", 0), dispatch.get("ceiling", {}).get("failed", 0), e2e.get("errors", 0),
        e2e.get("missing", 0), results.get("growth", {}).get("errors", 0), results.get("drain", {}).get("failed", 0),
    ])


def goals_evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every goal of the issue, judged on these results (met None: not measured)."""
    ingest, ceiling = results.get("ingest", {}), results.get("ceiling", {})
    dispatch, e2e = results.get("dispatch", {}), results.get("e2e", {})
    on = "" if results["meta"]["database"] == "postgresql" else " (goal set for PostgreSQL)"
    ratio = ingest["rps"] / ceiling["rps"] if ceiling.get("rps") else 0.0
    d_ceiling = dispatch.get("ceiling", {}).get("requests_per_s", 0.0)
    d_ratio = dispatch.get("deliveries_per_s", 0.0) / d_ceiling if d_ceiling else 0.0
    goals = [
        _goal("ingest / ceiling" + on, "≥ 0.6", f"{ratio:.2f}", ratio >= 0.6),
        _goal(f"ingest p99 at concurrency {ingest.get('concurrency')}" + on, "< 50 ms", f"{ingest['p99_ms']} ms",
              ingest["p99_ms"] < 50),
        _goal("dispatch / ceiling per worker process", "≥ 0.7", f"{d_ratio:.2f}", d_ratio >= 0.7),
        _goal("end to end p50", "< 100 ms", f"{e2e.get('p50_ms')} ms", e2e.get("p50_ms", 1e9) < 100),
        *_growth_goals(results.get("growth", {})),
        *_memory_goals(results.get("memory", {})),
        _goal("nothing lost or failed", "0", str(_errors(results)), _errors(results) == 0),
    ]
    results["ratios"] = {"ingest_ceiling": round(ratio, 3), "dispatch_ceiling": round(d_ratio, 3)}
    return goals


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    return [_row(*head), _row(*["---"] * len(head)), *(_row(*r) for r in rows), ""]


CPU_KINDS = ("hub", "database+broker", "loadgen", "other")
CPU_HEAD = "CPU % hub / db+broker / loadgen / other"


def _cpu(r: dict[str, Any]) -> str:
    cpu = r.get("cpu_pct") or {}
    return " / ".join(str(cpu.get(k, "?")) for k in CPU_KINDS)


def _load_row(name: str, r: dict[str, Any]) -> list[Any]:
    return [name, r["rps"], r["p50_ms"], r["p99_ms"], r["max_ms"], r["errors"], f"{r['stored']}/{r['ok']}", _cpu(r)]


def markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown (what `make bench` prints and writes to latest.md)."""
    meta, ingest, ceiling = results["meta"], results["ingest"], results["ceiling"]
    dispatch, e2e, growth = results["dispatch"], results["e2e"], results["growth"]
    lines = [
        f"# Order status hub benchmark: {meta['database']} + {meta['broker']}", "",
        f"{meta['started_at']} · {meta['cpus']} CPUs · Python {meta['python']} · took {meta['duration_s']:.0f} s · "
        f"web: {meta['web']} · worker: {meta['worker']} · load: {meta['load']}", "",
        f"## Ingest: concurrency {ingest['concurrency']}, {ingest['seconds']:.0f} s each", "",
        *_table(["endpoint", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "2xx stored", CPU_HEAD],
                [_load_row("shop webhook", ingest), _load_row("ceiling view", ceiling)]),
        f"ingest / ceiling = **{results['ratios']['ingest_ceiling']:.2f}**", "",
        f"## Dispatch: backlog of {dispatch['n']:,} Imshop deliveries, one worker process", "",
        *_table(["sender", "per second", "wall s", "failed", CPU_HEAD], [
            ["Celery worker, --pool solo", dispatch["deliveries_per_s"], dispatch["wall_s"], dispatch["failed"],
             _cpu(dispatch)],
            ["plain loop, one requests.Session", dispatch["ceiling"]["requests_per_s"], dispatch["ceiling"]["seconds"],
             dispatch["ceiling"]["failed"], ""]]),
        f"dispatch / ceiling = **{results['ratios']['dispatch_ceiling']:.2f}**", "",
        f"## End to end: {e2e['rate']:g} orders/s for {e2e['seconds']:g} s, webhook sent → Imshop request received",
        "",
        *_table(["sent", "accepted", "arrived", "p50 ms", "p99 ms", "max ms", "webhook p50 ms", CPU_HEAD],
                [[e2e["sent"], e2e["accepted"], e2e["arrived"], e2e["p50_ms"], e2e["p99_ms"], e2e["max_ms"],
                  e2e["webhook_p50_ms"], _cpu(e2e)]]),
        "## Growth", "",
        *_table(["orders stored", "webhook p50 ms", "webhook p90 ms", "admin list p50 ms", "admin list p90 ms",
                 "admin search p50 ms", "admin search p90 ms"],
                [[f"{s['orders']:,}", s["ingest_p50_ms"], s["ingest_p90_ms"], s["admin_list_p50_ms"],
                  s["admin_list_p90_ms"], s.get("admin_search_p50_ms", ""), s.get("admin_search_p90_ms", "")]
                 for s in growth["sizes"] if "ingest_p50_ms" in s]),
        *_table(["orders stored", "SQL: admin order list", "admin order search", "admin order page",
                 "API order detail"],
                [[f"{s['orders']:,}", *s["queries"].values()] for s in growth["sizes"] if "queries" in s]),
        "## Resident memory (VmRSS)", "",
        *_table(["process", "when", "MB"], [
            [name, s["when"] + (" (warm baseline)" if s["warm"] else ""), s["mb"]]
            for name, key in (("gunicorn worker (largest)", "web"), ("Celery worker", "worker"))
            for s in results["memory"][key]]),
        "## Goals", "",
        *_table(["goal", "target", "figure", "met"],
                [[g["goal"], g["target"], g["value"], {True: "yes", False: "**NO**", None: "n/a"}[g["met"]]]
                 for g in results["goals"]]),
    ]
    for name, profile in results.get("profiles", {}).items():
        lines += [f"## Profile: {name} ({profile.get('samples', 0)} samples)", "",
                  *_table(["project function (inclusive: on the stack)", "% of samples"], profile.get("project", [])),
                  *_table(["function (self: on top of the stack)", "% of samples"], profile.get("self", []))]
    return "\n".join(lines) + "\n"


def results_write(results: dict[str, Any], *, directory: Path = RESULTS_DIR) -> list[Path]:
    """latest.md/.json and latest-<database>.md/.json. Returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    text, data = markdown(results), json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n"
    paths = []
    for stem in ("latest", f"latest-{results['meta']['database']}"):
        for suffix, content in ((".md", text), (".json", data)):
            path = directory / f"{stem}{suffix}"
            path.write_text(content, encoding="utf-8")
            paths.append(path)
    return paths
