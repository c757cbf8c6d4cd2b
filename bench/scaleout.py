"""Scale-out experiment behind docs/decisions/0006: does the CPU-bound part of the pipeline
(declarations built, signed and checked against the XSD) grow with worker processes when the
work is partitioned by order, as a partitioned log hands it to a consumer group?

    uv run python bench/scaleout.py [--lists N] [--lines L]

Builds N CEB603 lists of L lines (the generated load averages 26 lines per export order) in one
process, then split into two partitions built by two processes at once, and prints lists/s and
the speed-up. On this 2-core machine two processes is the most that can show anything.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cbec.ceb.messages import build
from cbec.ceb.signing import SoftwareRsaSigner
from customs import AT, TRANSFER, inventory


def work(args: tuple[int, int, int, str, str]) -> int:
    start, count, lines, key, cert = args
    signer = SoftwareRsaSigner.from_pem(Path(key).read_bytes(), Path(cert).read_bytes())
    entities = [inventory(i, lines) for i in range(start, start + count)]
    built = build("CEB603", entities, TRANSFER, at=AT, signer=signer)  # XSD-checked
    return sum(len(m.entities) for m in built)


def run(processes: int, n: int, lines: int, key: Path, cert: Path) -> float:
    share = n // processes
    jobs = [(p * share, share, lines, str(key), str(cert)) for p in range(processes)]
    t = time.perf_counter()
    if processes == 1:
        done = work(jobs[0])
    else:
        with mp.get_context("fork").Pool(processes) as pool:
            done = sum(pool.map(work, jobs))
    seconds = time.perf_counter() - t
    print(f"  {processes} process(es): {done:,} lists in {seconds:6.2f} s = {done / seconds:8.1f} lists/s", flush=True)
    return done / seconds


def main() -> None:
    import tempfile

    from cbec.customs.keys import sandbox_key

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lists", type=int, default=2000)
    ap.add_argument("--lines", type=int, default=26)
    args = ap.parse_args()
    key, cert = sandbox_key(Path(tempfile.mkdtemp()), "scale-out bench")
    print(f"CEB603 lists of {args.lines} lines, built + signed + XSD-checked, partitioned by order")
    one = run(1, args.lists, args.lines, key, cert)
    two = run(2, args.lists, args.lines, key, cert)
    print(f"speed-up with 2 processes: {two / one:.2f}x")


if __name__ == "__main__":
    main()
