"""The results: goals judged against the figures, a Markdown table, and the files in bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
FLAT_RATIO = 1.5  # a timing at the largest size may be at most this times the smallest size's
FLAT_MB, FLAT_SHARE = 5.0, 0.05  # RSS may grow by max(5 MB, 5 %) from the warm sample to the last
MEMORY_LIMIT_MB = 200.0
GOAL_LATENCY_MS = 200.0  # the partner latency the burst and steady-rate goals are set for
BURST_GOAL = 150.0  # deliveries/s on a burst, one worker process, partner at GOAL_LATENCY_MS
BEYOND_GOAL_MS = 1000.0  # steady rate: end to end p99 beyond the partner's own latency
PARTNER_CHECK_SHARE = 0.9  # of the requests sent at once, at least this share inside the fake partner together


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


def _runs(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every run whose orders must each reach the partner exactly once: bursts, steady rates, scale-out."""
    runs = [run for entry in results.get("latency", []) for run in (entry.get("burst"), entry.get("steady")) if run]
    return runs + ([results["scale_out"]] if results.get("scale_out") else [])


def _errors(results: dict[str, Any]) -> int:
    ingest, ceiling = results.get("ingest", {}), results.get("ceiling", {})
    e2e, dispatch = results.get("e2e", {}), results.get("dispatch", {})
    runs = _runs(results)
    return sum([
        ingest.get("errors", 0), ingest.get("missing", 0), ceiling.get("errors", 0), ceiling.get("missing", 0),
        dispatch.get("failed", 0), dispatch.get("ceiling", {}).get("failed", 0), e2e.get("errors", 0),
        e2e.get("missing", 0), results.get("growth", {}).get("errors", 0), results.get("drain", {}).get("failed", 0),
        *(run.get("errors", 0) + run.get("missing", 0) + run.get("lost", 0) + run.get("sent_twice", 0)
          for run in runs),
    ])


def _at_goal_latency(results: dict[str, Any], key: str) -> dict[str, Any]:
    return next((e.get(key, {}) for e in results.get("latency", []) if e["latency_ms"] == GOAL_LATENCY_MS), {})


def _latency_goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    at = f"partner at {GOAL_LATENCY_MS:g} ms"
    burst, steady = _at_goal_latency(results, "burst"), _at_goal_latency(results, "steady")
    goals = [
        _goal(f"burst of {burst.get('n', 0):,} new orders, {at}, one worker process", f"≥ {BURST_GOAL:g} deliveries/s",
              f"{burst.get('deliveries_per_s')} /s", burst["deliveries_per_s"] >= BURST_GOAL if burst else None),
        _goal(f"steady {steady.get('rate', 0):g} orders/s, {at}: end to end p99 beyond the partner's latency",
              f"< {BEYOND_GOAL_MS:g} ms", f"{steady.get('p99_beyond_partner_ms')} ms",
              steady["p99_beyond_partner_ms"] < BEYOND_GOAL_MS if steady else None),
    ]
    if burst:
        before, after = burst["rss_before_mb"][0], burst["rss_after_mb"][0]
        goals.append(_goal(f"Celery worker memory across the burst, {at}", f"≤ +{FLAT_MB:.0f} MB or {FLAT_SHARE:.0%}",
                           f"{before} → {after} MB", after - before <= max(FLAT_MB, FLAT_SHARE * before)))
    runs = _runs(results)
    twice = sum(r.get("sent_twice", 0) + r.get("claimed_more_than_once", 0) for r in runs)
    lost = sum(r.get("lost", 0) + r.get("missing", 0) for r in runs)
    goals.append(_goal("bursts and steady rates: every order reached the partner exactly once", "0 lost, 0 twice",
                       f"{lost} lost, {twice} twice", (lost, twice) == (0, 0) if runs else None))
    scale = results.get("scale_out")
    if scale:
        doubled = scale["sent_twice"] + scale["claimed_more_than_once"] + scale["deliveries_with_several_attempts"]
        goals.append(_goal(f"two worker processes, every row queued twice: no delivery sent twice ({scale['n']:,})",
                           "0 twice, 1 attempt row each", f"{scale['sent_twice']} twice at the partner, "
                           f"{scale['attempt_rows']} attempt rows / {scale['deliveries']} deliveries",
                           doubled == 0 and scale["attempt_rows"] == scale["deliveries"] and scale["lost"] == 0))
    cap = results["meta"].get("partner_max_in_flight", 0)
    peaks = [r.get("peak_in_flight", 0) for r in runs]
    if cap and peaks:
        goals.append(_goal("the partner's cap on requests in flight, across workers", f"≤ {cap}",
                           f"{max(peaks)} at most", max(peaks) <= cap))
    check = results.get("partner_check")
    if check:
        least = int(PARTNER_CHECK_SHARE * check["concurrency"])
        goals.append(_goal(f"fake partner takes {check['concurrency']} requests at once (it does not serialise)",
                           f"all answered, ≥ {least} in flight at once", f"{check['answered']} answered in "
                           f"{check['wall_s']} s, {check['peak_in_flight']} in flight at once",
                           check["answered"] == check["concurrency"] and check["peak_in_flight"] >= least))
    return goals


def goals_evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every goal of the issue, judged on these results (met None: not measured)."""
    ingest, ceiling = results.get("ingest", {}), results.get("ceiling", {})
    dispatch, e2e = results.get("dispatch", {}), results.get("e2e", {})
    on = "" if results["meta"]["database"] == "postgresql" else " (goal set for PostgreSQL)"
    ratio = ingest["rps"] / ceiling["rps"] if ceiling.get("rps") else 0.0
    d_ceiling = dispatch.get("ceiling", {}).get("requests_per_s", 0.0)
    d_ratio = dispatch.get("deliveries_per_s", 0.0) / d_ceiling if d_ceiling else 0.0
    goals = [
        _goal("ingest / ceiling" + on, "≥ 0.4", f"{ratio:.2f}", ratio >= 0.4),
        _goal(f"ingest p99 at concurrency {ingest.get('concurrency')}" + on, "< 100 ms", f"{ingest['p99_ms']} ms",
              ingest["p99_ms"] < 100),
        _goal("dispatch / ceiling per worker process, fast partner", "≥ 0.5", f"{d_ratio:.2f}", d_ratio >= 0.5),
        _goal(f"end to end p50 at {e2e.get('rate', 0):g} orders/s, fast partner", "≤ 35 ms", f"{e2e.get('p50_ms')} ms",
              e2e.get("p50_ms", 1e9) <= 35),
        *_latency_goals(results),
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


def _load1(r: dict[str, Any]) -> Any:
    return (r.get("loadavg") or ["?"])[0]


def _load_row(name: str, r: dict[str, Any]) -> list[Any]:
    return [name, r["rps"], r["p50_ms"], r["p99_ms"], r["max_ms"], r["errors"], f"{r['stored']}/{r['ok']}",
            r.get("web_cpu_ms_per_request", "?"), r.get("server_cpu_ms_per_request", "?"), _cpu(r), _load1(r)]


LOAD_HEAD = "load (1 min)"


def _latency_sections(results: dict[str, Any]) -> list[str]:
    entries = results.get("latency", [])
    bursts = [(e["latency_ms"], e["burst"]) for e in entries if e.get("burst")]
    steadies = [(e["latency_ms"], e["steady"]) for e in entries if e.get("steady")]
    lines: list[str] = []
    if bursts:
        n = bursts[0][1]["n"]
        lines += [f"## Burst: {n:,} new orders (webhooks) queued while the worker is paused, then drained", "",
                  *_table(["partner latency ms", "deliveries/s (first → last delivered)", "resumed → last answer s",
                           "longest pause s", "webhooks/s", "lost", "sent twice", "attempt rows", "peak in flight",
                           "CPU ms/delivery worker / its PostgreSQL", "worker RSS before → after MB", CPU_HEAD,
                           LOAD_HEAD],
                          [[f"{ms:g}", b["deliveries_per_s"], b["release_to_last_s"], b["largest_gap_s"],
                            b["intake_per_s"], b["lost"], b["sent_twice"], f"{b['attempt_rows']}/{b['deliveries']}",
                            b["peak_in_flight"],
                            f"{b['worker_cpu_ms_per_delivery']} / {b.get('db_cpu_ms_per_delivery')}",
                            f"{b['rss_before_mb'][0]} → {b['rss_after_mb'][0]}", _cpu(b), _load1(b)]
                           for ms, b in bursts])]
    if steadies:
        rate, seconds = steadies[0][1]["rate"], steadies[0][1]["seconds"]
        lines += [f"## Steady rate: {rate:g} new orders/s for {seconds:g} s, webhook sent → partner", "",
                  *_table(["partner latency ms", "sent", "arrived", "received p50 ms", "received p99 ms",
                           "answered p99 ms", "p99 beyond partner ms", "sent twice", "webhook p99 ms",
                           "peak in flight", CPU_HEAD, LOAD_HEAD],
                          [[f"{ms:g}", r["sent"], r["arrived"], r["p50_ms"], r["p99_ms"], r["answered_p99_ms"],
                            r["p99_beyond_partner_ms"], r["sent_twice"], r["webhook_p99_ms"], r["peak_in_flight"],
                            _cpu(r), _load1(r)] for ms, r in steadies])]
    scale = results.get("scale_out")
    if scale:
        lines += [f"## Scale-out: two worker processes (two hosts), one PostgreSQL, one Redis: a burst of "
                  f"{scale['n']:,} at {scale['latency_ms']:g} ms, every row queued twice", "",
                  *_table(["deliveries/s", "lost", "sent twice (partner)", "rows claimed twice", "attempt rows",
                           "tasks queued again", "peak in flight", "worker CPU s (a / b)", "RSS MB (a / b)",
                           CPU_HEAD, LOAD_HEAD],
                          [[scale["deliveries_per_s"], scale["lost"], scale["sent_twice"],
                            scale["claimed_more_than_once"], f"{scale['attempt_rows']}/{scale['deliveries']}",
                            scale["requeued"], scale["peak_in_flight"], " / ".join(map(str, scale["worker_cpu_s"])),
                            " / ".join(map(str, scale["rss_after_mb"])), _cpu(scale), _load1(scale)]])]
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown (what `make bench` prints and writes to latest.md)."""
    meta, ingest, ceiling = results["meta"], results["ingest"], results["ceiling"]
    dispatch, e2e, growth = results["dispatch"], results["e2e"], results["growth"]
    machine = results.get("loadavg", {})
    check = results.get("partner_check")
    lines = [
        f"# Order status hub benchmark: {meta['database']} + {meta['broker']}", "",
        f"{meta['started_at']} · {meta['cpus']} CPUs · Python {meta['python']} · took {meta['duration_s']:.0f} s · "
        f"web: {meta['web']} · worker: {meta['worker']} · load: {meta['load']}", "",
        f"Machine load average (1/5/15 min): {machine.get('start')} at the start, {machine.get('end')} at the end. "
        "Each table gives the CPU split (% of one core) and the 1-minute load at the time: a large \"other\" "
        "is someone else's work on the machine.", "",
        *([f"Fake partner: {check['answered']} of {check['concurrency']} requests sent at once answered in "
           f"{check['wall_s']} s at {check['latency_ms']:g} ms latency, {check['peak_in_flight']} in flight at "
           "once.", ""] if check else []),
        f"## Ingest: concurrency {ingest['concurrency']}, {ingest['seconds']:.0f} s each", "",
        *_table(["endpoint", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "2xx stored",
                 "CPU ms/req gunicorn", "CPU ms/req gunicorn + PostgreSQL", CPU_HEAD, LOAD_HEAD],
                [_load_row("shop webhook", ingest), _load_row("ceiling view", ceiling)]),
        f"ingest / ceiling = **{results['ratios']['ingest_ceiling']:.2f}**", "",
        f"## Dispatch: backlog of {dispatch['n']:,} Imshop deliveries, one worker process, fast partner", "",
        *_table(["sender", "per second", "wall s", "longest pause s", "worker CPU ms/delivery", "failed", CPU_HEAD,
                 LOAD_HEAD], [
            [f"Celery worker, --pool {meta['args'].get('worker_pool')} --concurrency "
             f"{meta['args'].get('worker_concurrency')}", dispatch["deliveries_per_s"], dispatch["wall_s"],
             dispatch.get("largest_gap_s", ""), dispatch.get("worker_cpu_ms_per_delivery", ""), dispatch["failed"],
             _cpu(dispatch), _load1(dispatch)],
            ["plain loop, one requests.Session", dispatch["ceiling"]["requests_per_s"], dispatch["ceiling"]["seconds"],
             "", "", dispatch["ceiling"]["failed"], "", ""]]),
        f"dispatch / ceiling = **{results['ratios']['dispatch_ceiling']:.2f}**", "",
        f"## End to end: {e2e['rate']:g} orders/s for {e2e['seconds']:g} s, fast partner, webhook sent → Imshop "
        "request received", "",
        *_table(["sent", "accepted", "arrived", "p50 ms", "p99 ms", "max ms", "webhook p50 ms", CPU_HEAD, LOAD_HEAD],
                [[e2e["sent"], e2e["accepted"], e2e["arrived"], e2e["p50_ms"], e2e["p99_ms"], e2e["max_ms"],
                  e2e["webhook_p50_ms"], _cpu(e2e), _load1(e2e)]]),
        *_latency_sections(results),
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
