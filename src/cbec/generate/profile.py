"""The empirical distributions of the UCI Online Retail data set that export orders are drawn from.

``derive_profile`` reads ``shared/data/online-retail.parquet`` (Chen, Sain & Guo 2012; CC0) once
and keeps what the generator needs as a small JSON file committed beside this module
(``data/online_retail_profile.json``), so ``cbec generate`` never needs the parquet file:

* ``lines_per_order``: goods lines per sales invoice, as [lines, invoices] pairs;
* ``products``: the most sold stock codes (by number of lines) with their description and median
  unit price in GBP (to the penny, half up) — their line counts are the popularity curve;
* ``quantity_bands``: the quantity ordered on a line, as [qty, lines] pairs, per band of unit
  price (cheap goods are bought by the dozen, dear ones one at a time);
* ``destinations``: invoices per country (customs and ISO codes through ``cbec.kit.codes``), with
  the share of invoices that charged postage and the usual postage amounts;
* ``hours``: invoices per hour of the day (UK time);
* ``cancellation_share``: credit notes (``C`` invoices) / (sales invoices + credit notes).

Invoices are read as ``cbec.intake.parsers.online_retail`` reads them: all-digit numbers are sales
unless every line is a stock correction (negative quantity) or priced 0; ``C`` are credit notes;
``A`` bad-debt adjustments are ignored; POST/DOT/C2 lines are postage, other pseudo stock codes
are not goods. "Unspecified" is not a destination and is left out.

Regenerate after changing this module::

    uv run --frozen python -m cbec.generate.profile ../shared/data/online-retail.parquet
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from cbec.errors import UnknownCode
from cbec.intake.documents import LineKind
from cbec.intake.parsers.online_retail import line_kind
from cbec.kit.codes import code_lists

PROFILE_FILE = "online_retail_profile.json"
NATIONAL_MIX_FILE = "national_mix.json"
PROFILE_VERSION = 1
#: Upper bounds (GBP) of the unit-price bands the quantity distributions are kept for.
PRICE_BANDS = ("1", "2", "5", "10")
#: Lines with more than this quantity are data errors (the set's 74,215 and 80,995 are known ones).
MAX_QTY = 10_000
_UNSPECIFIED = "701"
_PENNY = Decimal("0.01")


def _pennies(value: float) -> int:
    """A GBP float of the data set as whole pennies, through its shortest repr (2.55 stays 2.55)."""
    return int((Decimal(repr(value)) / _PENNY).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _sales(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(invoices kept as sales, their lines, their goods lines) by the parser's rules: an invoice
    of only stock corrections or only zero prices is no sale."""
    sales = frame.filter(pl.col("is_sale"))
    kept = (
        sales.group_by("InvoiceNo")
        .agg(
            (pl.col("Quantity") < 0).all().alias("corrections"),
            (pl.col("UnitPrice") == 0).all().alias("zero"),
            pl.col("Country").first(),
            pl.col("InvoiceDate").min().alias("at"),
        )
        .filter(~pl.col("corrections") & ~pl.col("zero"))
    )
    sales = sales.join(kept.select("InvoiceNo"), on="InvoiceNo")
    goods = sales.filter(
        (pl.col("kind") == LineKind.GOODS.value) & (pl.col("Quantity") > 0) & (pl.col("UnitPrice") > 0)
    )
    return kept, sales, goods


def _products(goods: pl.DataFrame, products: int) -> tuple[pl.DataFrame, list[list[Any]]]:
    """The ``products`` SKUs on most goods lines, each with its description and median price."""
    top = (
        goods.group_by("StockCode")
        .agg(
            pl.len().alias("lines"),
            pl.col("Description").drop_nulls().str.strip_chars().mode().sort().first().alias("description"),
            pl.col("UnitPrice").median().alias("median"),
        )
        .sort(["lines", "StockCode"], descending=[True, False])
        .head(products)
    )
    rows = [
        [code, (description or code).strip(), lines, _price_text(median)]
        for code, description, lines, median in top.select("StockCode", "description", "lines", "median").iter_rows()
    ]
    return top, rows


def _quantity_bands(goods: pl.DataFrame) -> list[list[list[int]]]:
    """Per price band, how often each quantity (up to ``MAX_QTY``) is bought."""
    edges = [float(e) for e in PRICE_BANDS]
    band = pl.lit(len(edges))
    for i, edge in reversed(list(enumerate(edges))):
        band = pl.when(pl.col("UnitPrice") < edge).then(pl.lit(i)).otherwise(band)
    quantities = (
        goods.filter(pl.col("Quantity") <= MAX_QTY)
        .with_columns(band.alias("band"), pl.col("Quantity").cast(pl.Int64).alias("qty"))
        .group_by("band", "qty")
        .len()
        .sort("band", "qty")
    )
    bands: list[list[list[int]]] = [[] for _ in range(len(edges) + 1)]
    for b, qty, n in quantities.iter_rows():
        bands[b].append([qty, n])
    return bands


def _destinations(kept: pl.DataFrame, sales: pl.DataFrame) -> list[dict[str, Any]]:
    """The destinations with a customs code, by orders: their share of orders with postage and
    the postage amounts charged."""
    freight_lines = sales.filter(pl.col("kind") == LineKind.FREIGHT.value).with_columns(
        pl.struct("Quantity", "UnitPrice")
        .map_elements(lambda r: int(r["Quantity"]) * _pennies(r["UnitPrice"]), return_dtype=pl.Int64)
        .alias("pennies")
    )
    postage = freight_lines.group_by("InvoiceNo").agg(pl.col("pennies").sum()).filter(pl.col("pennies") > 0)
    invoices = kept.join(postage, on="InvoiceNo", how="left")
    codes = code_lists()
    destinations: list[dict[str, Any]] = []
    by_country = invoices.group_by("Country").agg(
        pl.len().alias("orders"),
        pl.col("pennies").is_not_null().sum().alias("with_postage"),
    )
    for country, orders, with_postage in by_country.sort(["orders", "Country"], descending=[True, False]).iter_rows():
        try:
            code = codes.country(country)
        except UnknownCode:
            continue
        if code == _UNSPECIFIED:
            continue
        amounts = (
            invoices.filter((pl.col("Country") == country) & pl.col("pennies").is_not_null())
            .group_by("pennies")
            .len()
            .sort(["len", "pennies"], descending=[True, False])
            .head(12)
        )
        destinations.append(
            {
                "country": country,
                "code": code,
                "iso2": codes.countries[code].iso,
                "orders": orders,
                "postage_share": round(with_postage / orders, 4),
                "postage": [[_fen_text(p), n] for p, n in amounts.iter_rows()],
            }
        )
    return destinations


def derive_profile(path: Path, *, products: int = 1000) -> dict[str, Any]:
    """The profile of the Online Retail file at ``path`` (see the module docstring)."""
    data = path.read_bytes()
    frame = pl.read_parquet(data).with_columns(pl.col("InvoiceNo").cast(pl.Utf8))
    kinds = {code: line_kind(code).value for code in frame.get_column("StockCode").unique().to_list() if code}
    frame = frame.with_columns(
        pl.col("StockCode").replace_strict(kinds, default=LineKind.GOODS.value).alias("kind"),
        pl.col("InvoiceNo").str.contains(r"^\d+$").alias("is_sale"),
    )
    kept, sales, goods = _sales(frame)
    credit_notes = frame.filter(pl.col("InvoiceNo").str.starts_with("C")).get_column("InvoiceNo").n_unique()
    lines_per_order = goods.group_by("InvoiceNo").len().group_by("len").len(name="invoices").sort("len")
    top, product_rows = _products(goods, products)
    hour_counts = dict(kept.group_by(pl.col("at").dt.hour().alias("hour")).len().sort("hour").iter_rows())
    return {
        "version": PROFILE_VERSION,
        "source": {
            "file": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "rows": frame.height,
            "what": "UCI Online Retail (Chen, Sain & Guo 2012), CC0; see shared/data/README.md",
        },
        "sales_invoices": kept.height,
        "credit_notes": credit_notes,
        "cancellation_share": round(credit_notes / (kept.height + credit_notes), 4),
        "currency": {"code": "303", "iso": "GBP"},
        "lines_per_order": [list(r) for r in lines_per_order.iter_rows()],
        "price_bands": list(PRICE_BANDS),
        "quantity_bands": _quantity_bands(goods),
        "hours": [hour_counts.get(h, 0) for h in range(24)],
        "destinations": _destinations(kept, sales),
        "products_covered_share": round(top.get_column("lines").sum() / goods.height, 4),
        "products": product_rows,
    }


def _price_text(value: float) -> str:
    """A median unit price to the penny (half up), never below one penny."""
    return _fen_text(max(1, _pennies(value)))


def _fen_text(pennies: int) -> str:
    return f"{pennies // 100}.{pennies % 100:02d}"


def dumps_profile(profile: dict[str, Any]) -> str:
    """The profile as JSON, one table row a line, so a regenerated file diffs readably."""
    parts: list[str] = []
    for key, value in profile.items():
        if isinstance(value, list) and value and isinstance(value[0], list | dict):
            rows = ",\n  ".join(json.dumps(v, ensure_ascii=False) for v in value)
            parts.append(f"  {json.dumps(key)}: [\n  {rows}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def load_profile(path: Path | None = None) -> dict[str, Any]:
    """The committed profile (or the one at ``path``)."""
    if path is not None:
        text = path.read_text(encoding="utf-8")
    else:
        text = resources.files("cbec.generate").joinpath("data", PROFILE_FILE).read_text(encoding="utf-8")
    profile: dict[str, Any] = json.loads(text)
    return profile


def load_national_mix() -> dict[str, Any]:
    """The B2C parcel shape of ``--mix national`` (``data/national_mix.json``: goods lines per
    parcel and units per line, the platform's assumption, with its reasoning in ``source``)."""
    text = resources.files("cbec.generate").joinpath("data", NATIONAL_MIX_FILE).read_text(encoding="utf-8")
    mix: dict[str, Any] = json.loads(text)
    return mix


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m cbec.generate.profile PARQUET [OUT]``: rewrite the committed profile."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise SystemExit("usage: python -m cbec.generate.profile online-retail.parquet [out.json]")
    target = Path(args[1]) if len(args) > 1 else Path(__file__).with_name("data") / PROFILE_FILE
    target.write_text(dumps_profile(derive_profile(Path(args[0]))), encoding="utf-8")


if __name__ == "__main__":
    main()
