"""Price-outlier rule measured on real orders (UCI Online Retail) with planted outliers.

Method (docs/risk.md): lines with a positive quantity and price and a product StockCode (one
starting with a digit) are split in time. Lines before 2011-09-01 are the seller's history: one
reference per SKU (median and MAD of the log prices). Every later line whose SKU has a reference
is a test line. A seeded 2% of the test lines are planted: their price is multiplied by
``factor`` (below 1 for undervalued imports, above 1 for overvalued exports); the others keep
their real price. Recall = planted lines flagged / planted lines; false-alarm rate = real lines
flagged / real lines. Real prices vary (quantity discounts, sales), so real lines are flagged
too: that is the false-alarm rate a reviewer would live with.

Run ``uv run pytest -q -s tests/unit/risk/test_prices_online_retail.py`` to print the figures.
"""

from __future__ import annotations

import io
import random
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import polars as pl
import pytest

from cbec.risk import prices

CUT = datetime(2011, 9, 1)


@pytest.fixture(scope="module")
def lines(online_retail_bytes: bytes) -> tuple[dict[str, prices.Reference], list[tuple[str, Decimal]]]:
    frame = pl.read_parquet(io.BytesIO(online_retail_bytes)).filter(
        (pl.col("Quantity") > 0) & (pl.col("UnitPrice") > 0) & pl.col("StockCode").str.contains(r"^\d")
    )
    history: dict[str, list[Decimal]] = defaultdict(list)
    later: list[tuple[str, Decimal]] = []
    for code, price, at in frame.select("StockCode", "UnitPrice", "InvoiceDate").iter_rows():
        p = Decimal(str(price))
        if at < CUT:
            history[code].append(p)
        else:
            later.append((code, p))
    limits = prices.PriceLimits()
    refs = {
        code: ref
        for code, ps in history.items()
        if (ref := prices.reference(ps, kind="sku", key=code, currency="GBP", limits=limits)) is not None
    }
    return refs, [(c, p) for c, p in later if c in refs]


def measure(
    refs: dict[str, prices.Reference], test: list[tuple[str, Decimal]], factor: Decimal, direction: str
) -> tuple[float, float, int, int]:
    limits = prices.PriceLimits()
    rng = random.Random(19)
    planted = set(rng.sample(range(len(test)), len(test) // 50))
    hit_planted = hit_real = 0
    for i, (code, price) in enumerate(test):
        p = (price * factor).quantize(Decimal("0.0001")) if i in planted else price
        found = prices.price_hits(p, direction, [refs[code]], limits)
        if found:
            assert found[0].reference.median == refs[code].median  # every hit names its reference price
            if i in planted:
                hit_planted += 1
            else:
                hit_real += 1
    real = len(test) - len(planted)
    return hit_planted / len(planted), hit_real / real, len(planted), real


@pytest.mark.parametrize(
    ("factor", "direction", "min_recall", "max_false_alarms"),
    [
        (Decimal("0.2"), "import", 0.78, 0.03),
        (Decimal("0.3"), "import", 0.75, 0.03),
        (Decimal("3"), "export", 0.84, 0.015),
        (Decimal("5"), "export", 0.89, 0.015),
    ],
)
def test_recall_and_false_alarms_on_online_retail(lines, factor, direction, min_recall, max_false_alarms) -> None:
    refs, test = lines
    assert len(test) > 100_000
    recall, false_alarms, planted, real = measure(refs, test, factor, direction)
    print(
        f"\n{direction} price x{factor}: planted {planted}, recall {recall:.3f}; "
        f"real lines {real}, false-alarm rate {false_alarms:.4f}"
    )
    assert recall >= min_recall
    assert false_alarms <= max_false_alarms


def test_a_hit_explains_itself_in_both_languages() -> None:
    limits = prices.PriceLimits()
    ref = prices.reference([Decimal("10")] * 5 + [Decimal("11")] * 5, kind="hs_origin", key="330499/JP",
                           currency="CNY", limits=limits)  # fmt: skip
    assert ref is not None
    assert prices.price_hits(Decimal("2"), "import", [ref], limits) == []  # 1/5: within a subheading's spread
    (hit,) = prices.price_hits(Decimal("0.5"), "import", [ref], limits)  # 1/20
    assert "参考价" in hit.message_zh and str(ref.median) in hit.message_zh
    assert "reference price" in hit.message_en and "never an automatic revaluation" in hit.message_en
    assert hit.detail()["reference_price"] == str(ref.median)
    assert prices.price_hits(Decimal("0.5"), "export", [ref], limits) == []  # low prices do not matter on export
    assert prices.price_hits(Decimal("200"), "export", [ref], limits)
    assert prices.reference([Decimal(1)] * 4, kind="sku", key="x", currency="CNY", limits=limits) is None
