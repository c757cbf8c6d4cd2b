"""Kill -9 at a random point of each stage, many times (issue 21's acceptance): nothing lost,
nothing doubled.

    uv run python bench/kill9.py [--orders 600] [--kills-per-stage 5] [--seed 7]

Two runs over the same generated files (``cbec generate``), each in a fresh data directory,
through the real command line and the real HTTP server:

* the reference: every stage once, to the end, no kill;
* the killed run: each stage's process (intake ``cbec import``, ``cbec declare``, ``cbec worker
  --once``, ``cbec sandbox --once``, and ``cbec serve`` under a load of submissions) is killed
  with SIGKILL at a random moment, again and again, then run again until it finishes, as an
  operator (or systemd) would restart it. Submissions to the killed server are retried with
  the same ``Idempotency-Key``.

Then the figures of both data directories are compared: documents by type and validity, inbox
items, declarations by type and status, messages built and sent, receipts applied. Any
difference is printed and the exit status is 1. Not a test (it takes minutes); its figures go in
bench/RESULTS.md and the issue's closing note.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

STAGES = ("intake", "api", "declare", "worker", "sandbox")


def cbec(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "cbec.cli.main", "--data-dir", str(data), *args]


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}


def run(data: Path, *args: str) -> str:
    proc = subprocess.run(cbec(data, *args), capture_output=True, text=True, env=env(), check=False, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"cbec {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


class Killer:
    """Runs a command to its end, killing it with SIGKILL at random moments first."""

    def __init__(self, rnd: random.Random, kills: int) -> None:
        self.rnd, self.kills, self.done = rnd, kills, dict.fromkeys(STAGES, 0)

    def run(self, stage: str, data: Path, *args: str, window: float = 1.5) -> None:
        while self.done[stage] < self.kills and self.rnd.random() < 0.8:
            proc = subprocess.Popen(cbec(data, *args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
            time.sleep(self.rnd.uniform(0.05, window))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                self.done[stage] += 1
            else:
                break  # it finished before the kill: that is a run to the end
        run(data, *args)  # then once to its end


def register(data: Path, manifest: dict[str, Any]) -> str:
    roles = {"platform": "ebp", "seller": "ebc", "logistics": "logistics", "payer": "pay"}
    for who, party in manifest["parties"].items():
        run(data, "partner", "add", "--code", party["code"], "--name", party["name"], "--role", roles[who])
    out = json.loads(run(data, "partner", "key", "--code", manifest["parties"]["seller"]["code"], "--json"))
    return str(out["api_key"])


def file_args(path: Path, manifest: dict[str, Any]) -> list[str]:
    p = manifest["parties"]
    sender = p["logistics"]["code"] if "waybill" in path.name else p["payer"]["code"] if "payment" in path.name else ""
    args = ["import", str(path), "--seller", p["seller"]["code"], "--platform", p["platform"]["code"]]
    return args + (["--sender", sender] if sender else [])


def open_lists(data: Path) -> int:
    with sqlite3.connect(data / "cbec.db") as db:
        final = ("closed", "rejected", "cancelled", "shipped_back", "returned")
        marks = ",".join("?" * len(final))
        return int(
            db.execute(
                f"SELECT count(*) FROM declaration WHERE message_type IN ('CEB603','CEB621') AND status NOT IN ({marks})",
                final,
            ).fetchone()[0]
        )


def serve(data: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        cbec(data, "serve", "--port", str(port), "--no-worker"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise SystemExit("the server did not start")


#: documents per API request: many small requests, so that a kill lands in the middle of the load
PER_REQUEST = 10


def requests_of(files: list[Path]) -> list[tuple[str, bytes]]:
    """Each file's documents in requests of ``PER_REQUEST``, each with its idempotency key."""
    out = []
    for path in files:
        docs = json.loads(path.read_bytes())
        for k in range(0, len(docs), PER_REQUEST):
            out.append((f"{path.name}#{k}", json.dumps(docs[k : k + PER_REQUEST]).encode()))
    return out


def post(port: int, key: str, request: tuple[str, bytes], manifest: dict[str, Any]) -> bool:
    p = manifest["parties"]
    query = f"platform={p['platform']['code']}&seller={p['seller']['code']}"
    name, body = request
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/documents?{query}", data=body, method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Idempotency-Key": name},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return bool(r.status in (200, 201))
    except (urllib.error.URLError, OSError):
        return False


def api_stage(
    data: Path, files: list[Path], manifest: dict[str, Any], key: str, killer: Killer | None, rnd: random.Random
) -> None:
    """The seller's own files through the API; with a killer, the server dies at a random moment
    while the submissions go on, and comes back; what failed is sent again with the same key."""
    port = 18000 + rnd.randint(0, 999)
    pending = requests_of(files)
    while pending:
        server = serve(data, port)
        timer = None
        if killer is not None and killer.done["api"] < killer.kills:
            timer = threading.Timer(rnd.uniform(0.05, 0.8), server.send_signal, args=(signal.SIGKILL,))
            timer.start()
        pending = [r for r in pending if not post(port, key, r, manifest)]
        if timer is not None:
            timer.cancel()
        if server.poll() is None:
            server.terminate()
        if server.wait() == -signal.SIGKILL and killer is not None:
            killer.done["api"] += 1


def pipeline_run(data: Path, files: Path, manifest: dict[str, Any], killer: Killer | None, rnd: random.Random) -> None:
    key = register(data, manifest)
    paths = [files / (e if isinstance(e, str) else e["name"]) for e in manifest["files"]]
    seller_files = [p for p in paths if "orders" in p.name]
    partner_files = [p for p in paths if p not in seller_files]
    api_stage(data, seller_files, manifest, key, killer, rnd)
    for path in partner_files:
        (killer.run("intake", data, *file_args(path, manifest)) if killer else run(data, *file_args(path, manifest)))
    for _ in range(2):
        killer.run("declare", data, "declare") if killer else run(data, "declare")
    deadline = time.monotonic() + 900
    while open_lists(data) and time.monotonic() < deadline:
        sandbox = ("sandbox", "--once", "--seed", "1", "--accept-unsigned")  # no signing key in these runs
        for stage, args in (("worker", ("worker", "--once")), ("sandbox", sandbox)):
            killer.run(stage, data, *args, window=0.6) if killer else run(data, *args)
    run(data, "worker", "--once")  # the last receipts


#: figures a kill may legitimately raise: a submission killed after its raw file was kept and
#: sent again is kept again (the inbox keeps every receipt of a file; its documents are
#: duplicates); a message resent after a kill between writing it and recording it is answered
#: again by customs ("already received"), another receipt file that changes nothing
AT_LEAST_ONCE = ("inbox items", "receipt files applied")


def figures(data: Path) -> dict[str, Any]:
    with sqlite3.connect(data / "cbec.db") as db:
        q = db.execute
        return {
            "inbox items": q("SELECT count(*) FROM inbox_item").fetchone()[0],
            "receipt files applied": q("SELECT count(*) FROM receipt_log").fetchone()[0],
            "documents (current)": dict(
                q("SELECT doc_type || ':' || is_valid, count(*) FROM document WHERE is_current GROUP BY 1").fetchall()
            ),
            "document versions": q("SELECT count(*) FROM document").fetchone()[0],
            "declarations": dict(
                q("SELECT message_type || ':' || status, count(*) FROM declaration GROUP BY 1").fetchall()
            ),
            "messages built": dict(q("SELECT message_type, count(*) FROM outbox_message GROUP BY 1").fetchall()),
            "messages sent": q("SELECT count(*) FROM outbox_message WHERE status = 'sent'").fetchone()[0],
            "declarations with a receipt": q(
                "SELECT count(*) FROM declaration WHERE return_status IS NOT NULL"
            ).fetchone()[0],
            "tax ledger entries": q("SELECT count(*) FROM buyer_ledger_entry").fetchone()[0],
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=600)
    ap.add_argument("--kills-per-stage", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = root / "files"
        run(
            root / "gen",
            "generate",
            "--orders",
            str(args.orders),
            "--out",
            str(files),
            "--seed",
            "3",
            "--batch-size",
            "100",
        )
        manifest = json.loads((files / "manifest.json").read_text())
        t = time.perf_counter()
        pipeline_run(root / "reference", files, manifest, None, random.Random(args.seed))
        reference_s = time.perf_counter() - t
        killer = Killer(random.Random(args.seed), args.kills_per_stage)
        t = time.perf_counter()
        pipeline_run(root / "killed", files, manifest, killer, random.Random(args.seed))
        killed_s = time.perf_counter() - t
        want, got = figures(root / "reference"), figures(root / "killed")
    print(f"kill -9 run — {args.orders} orders; reference {reference_s:.0f} s, killed run {killed_s:.0f} s")
    print(
        "kills by stage: "
        + ", ".join(f"{s} {n}" for s, n in killer.done.items())
        + f" (total {sum(killer.done.values())})"
    )
    same = True
    for name in want:
        ok = want[name] == got[name]
        if name in AT_LEAST_ONCE:
            print(
                f"  ~ {name}: reference {want[name]}, killed run {got[name]} (at least once: a retry is kept, never doubles a document or a state)"
            )
            continue
        same &= ok
        print(
            f"  {'=' if ok else '≠'} {name}: {json.dumps(want[name], sort_keys=True)}"
            + ("" if ok else f"  killed: {json.dumps(got[name], sort_keys=True)}")
        )
    print("nothing lost, nothing doubled" if same else "DIFFERENCES: see ≠ above")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
