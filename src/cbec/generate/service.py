"""Write a generated load as partners would send it: numbered JSON files, an Amazon report, a manifest.

Files are written while their documents are produced, a buffer at a time, so memory stays flat
in the number of orders. Each file holds at most ``batch_size`` documents (orders, for the Amazon
report) as one JSON array with one document a line: intake's JSON reader
(``cbec.intake.parsers.json_docs``) takes a list or one object, not JSON lines.

``manifest.json`` says what was written and what intake and 三单对碰 should make of it (counts by
outcome, the expected matching states and reasons, the buyers over the annual quota), so a
benchmark can check the platform's results. It holds no time or path: the same options give the
same bytes in every file.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cbec.errors import InvalidInput
from cbec.generate.basics import GenerateOptions, Mix
from cbec.generate.encoder import AMAZON_HEADER, Encoder
from cbec.generate.exports import (
    EXPORT_EXPECTED,
    ExportCatalogue,
    ExportOutcome,
    ExportTally,
    export_cases,
    export_catalogue,
)
from cbec.generate.imports import IMPORT_EXPECTED, ImportOutcome, ImportTally, import_cases
from cbec.generate.profile import load_national_mix, load_profile

Progress = Callable[[int, int | None], None]

MANIFEST = "manifest.json"
#: Every file name this module writes (to refuse, or with ``overwrite`` remove, an earlier run's).
PATTERNS = (
    "export-orders-*.json",
    "export-waybills-*.json",
    "import-orders-*.json",
    "import-payments-*.json",
    "import-waybills-*.json",
    "amazon-orders-*.txt",
    MANIFEST,
)
_FLUSH = 256  # documents buffered before a write


class BatchFiles:
    """Documents into numbered files ``{stem}-00001{suffix}`` … of at most ``batch_size`` each."""

    def __init__(
        self,
        out: Path,
        stem: str,
        doc_type: str,
        batch_size: int,
        *,
        suffix: str = ".json",
        opening: bytes = b"[\n",
        separator: bytes = b",\n",
        closing: bytes = b"\n]\n",
    ) -> None:
        self.out, self.stem, self.doc_type, self.batch_size = out, stem, doc_type, batch_size
        self.suffix, self.opening, self.separator, self.closing = suffix, opening, separator, closing
        self.files: list[dict[str, Any]] = []
        self.in_file = 0
        self.buffer: list[bytes] = []
        self.handle: Any = None

    def add(self, document: bytes) -> None:
        if self.handle is None:
            name = f"{self.stem}-{len(self.files) + 1:05d}{self.suffix}"
            self.handle = (self.out / name).open("wb")
            self.files.append({"name": name, "type": self.doc_type, "documents": 0})
            self.buffer.append(self.opening)
        elif self.in_file:
            self.buffer.append(self.separator)
        self.buffer.append(document)
        self.in_file += 1
        if len(self.buffer) >= _FLUSH:
            self.handle.write(b"".join(self.buffer))
            self.buffer.clear()
        if self.in_file >= self.batch_size:
            self._close_file()

    def _close_file(self) -> None:
        self.buffer.append(self.closing)
        self.handle.write(b"".join(self.buffer))
        self.buffer.clear()
        self.handle.close()
        self.handle = None
        self.files[-1]["documents"] = self.in_file
        self.in_file = 0

    def close(self) -> None:
        if self.handle is not None:
            self._close_file()


def _prepare(out: Path, overwrite: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    earlier = sorted({p for pattern in PATTERNS for p in out.glob(pattern)})
    if not earlier:
        return
    if not overwrite:
        shown = ", ".join(p.name for p in earlier[:5]) + (" …" if len(earlier) > 5 else "")
        raise InvalidInput(
            f"{out} already holds generated files ({shown}); choose another folder or pass --force",
            f"{out} 中已有生成的文件（{shown}）；请换一个目录或使用 --force",
            field="out",
        )
    for p in earlier:
        p.unlink()


@dataclass
class _Exports:
    """The export files of a run and what was written into them."""

    orders: BatchFiles
    waybills: BatchFiles
    amazon: BatchFiles
    outcomes: Counter[tuple[bool, ExportOutcome]] = field(default_factory=Counter)  # (is_marketplace, outcome)
    tally: ExportTally = field(default_factory=ExportTally)
    goods_lines: int = 0


@dataclass
class _Imports:
    """The import files of a run and what was written into them."""

    orders: BatchFiles
    payments: BatchFiles
    waybills: BatchFiles
    outcomes: Counter[ImportOutcome] = field(default_factory=Counter)
    tally: ImportTally = field(default_factory=ImportTally)
    beyond_limit: int = 0
    goods_lines: int = 0


def _write_exports(
    options: GenerateOptions,
    catalogue: ExportCatalogue,
    encoder: Encoder,
    out: Path,
    batch_size: int,
    tick: Callable[[], None],
) -> _Exports:
    amazon = BatchFiles(
        out, "amazon-orders", "amazon_order_report", batch_size, suffix=".txt",
        opening=AMAZON_HEADER.encode() + b"\n", separator=b"\n", closing=b"\n",
    )  # fmt: skip
    w = _Exports(
        BatchFiles(out, "export-orders", "export_order", batch_size),
        BatchFiles(out, "export-waybills", "export_waybill", batch_size),
        amazon,
    )
    for case in export_cases(options, catalogue, w.tally):
        w.outcomes[case.is_marketplace, case.outcome] += 1
        w.goods_lines += len(case.lines)
        if case.is_marketplace:
            w.amazon.add(encoder.amazon_rows(case))
        else:
            w.orders.add(encoder.export_order(case))
        waybill = encoder.export_waybill(case)
        if waybill is not None:
            w.waybills.add(waybill)
        tick()
    for writer in (w.orders, w.waybills, w.amazon):
        writer.close()
    return w


def _write_imports(
    options: GenerateOptions, encoder: Encoder, out: Path, batch_size: int, tick: Callable[[], None]
) -> _Imports:
    w = _Imports(
        BatchFiles(out, "import-orders", "import_order", batch_size),
        BatchFiles(out, "import-payments", "import_payment", batch_size),
        BatchFiles(out, "import-waybills", "import_waybill", batch_size),
    )
    for item in import_cases(options, w.tally):
        w.outcomes[item.outcome] += 1
        w.goods_lines += len(item.lines)
        w.beyond_limit += item.beyond_limit
        w.orders.add(encoder.import_order(item))
        payment = encoder.import_payment(item)
        if payment is not None:
            w.payments.add(payment)
        waybill = encoder.import_waybill(item)
        if waybill is not None:
            w.waybills.add(waybill)
        tick()
    for writer in (w.orders, w.payments, w.waybills):
        writer.close()
    return w


def _documents(ex: _Exports, im: _Imports) -> dict[str, int]:
    """The documents intake will read from the files (an Amazon report's rows become export
    orders, a cancelled one an order_cancel)."""
    writers = (ex.orders, ex.waybills, ex.amazon, im.orders, im.payments, im.waybills)
    documents = Counter({w.doc_type: sum(f["documents"] for f in w.files) for w in writers if w.files})
    documents.pop("amazon_order_report", None)
    cancelled_on_marketplace = ex.outcomes[True, ExportOutcome.CANCELLED]
    documents["export_order"] += sum(n for (m, _), n in ex.outcomes.items() if m) - cancelled_on_marketplace
    documents["order_cancel"] += cancelled_on_marketplace
    return {k: n for k, n in sorted(documents.items()) if n}


def _export_manifest(options: GenerateOptions, ex: _Exports) -> dict[str, Any]:
    export_outcomes: Counter[str] = Counter()
    export_by_outcome: Counter[ExportOutcome] = Counter()  # of what intake reads as export orders
    for (is_marketplace, outcome), n in ex.outcomes.items():
        export_outcomes[outcome.value] += n
        if not (is_marketplace and outcome is ExportOutcome.CANCELLED):
            export_by_outcome[outcome] += n
    marketplace = sum(n for (m, _), n in ex.outcomes.items() if m)
    return {
        "orders": options.export_orders,
        "json_orders": options.export_orders - marketplace,
        "marketplace_orders": marketplace,
        "goods_lines": ex.goods_lines,
        "split_purchases": ex.tally.split_purchases,
        "split_orders": ex.tally.split_orders,
        "outcomes": dict(sorted(export_outcomes.items())),
        "expected_matching": _expected(export_by_outcome, EXPORT_EXPECTED),
    }


def _import_manifest(options: GenerateOptions, im: _Imports) -> dict[str, Any]:
    tally = im.tally
    return {
        "orders": options.import_orders,
        "goods_lines": im.goods_lines,
        "buyers": tally.buyers,
        "heavy_buyers": tally.heavy_buyers,
        "over_limit_buyers": tally.over_limit_buyers,
        "orders_beyond_limit": im.beyond_limit,
        "split_purchases": tally.split_purchases,
        "split_orders": tally.split_orders,
        "split_over_single_limit": tally.split_over_single_limit,
        "payers_not_buyers": tally.payers_not_buyers,
        "outcomes": {k.value: n for k, n in sorted(im.outcomes.items())},
        "expected_matching": _expected(im.outcomes, IMPORT_EXPECTED),
    }


def generate(
    options: GenerateOptions,
    out: Path,
    *,
    batch_size: int = 10_000,
    profile: dict[str, Any] | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the load of ``options`` into ``out``; return the manifest (and the time it took)."""
    problems = options.problems() + ([] if batch_size >= 1 else ["--batch-size must be at least 1"])
    if problems:
        raise InvalidInput("; ".join(problems), "；".join(problems), field="options")
    started = time.perf_counter()
    _prepare(out, overwrite)
    profile = profile or load_profile()
    mix = load_national_mix() if options.mix is Mix.NATIONAL else None
    catalogue = export_catalogue(profile, mix)
    encoder = Encoder(options.parties, catalogue)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress and done % 1000 == 0:
            progress(done, options.orders)

    ex = _write_exports(options, catalogue, encoder, out, batch_size, tick)
    im = _write_imports(options, encoder, out, batch_size, tick)
    if progress:
        progress(done, options.orders)
    writers = (ex.orders, ex.waybills, ex.amazon, im.orders, im.payments, im.waybills)
    manifest: dict[str, Any] = {
        "generator": "cbec generate",
        "seed": options.seed,
        "orders": options.orders,
        "options": {
            **{k: v for k, v in asdict(options).items() if k not in {"parties", "orders", "seed", "start", "mix"}},
            "start": options.start.isoformat(),
            "cancel_share": catalogue.cancel_share if options.cancel_share is None else options.cancel_share,
            "batch_size": batch_size,
        },
        "profile": {"version": profile["version"], "source": profile["source"]},
        "mix": {"name": options.mix.value, **({"version": mix["version"], "source": mix["source"]} if mix else {})},
        "parties": options.parties.as_dict(),
        "files": [f for w in writers for f in w.files],
        "documents": _documents(ex, im),
        "invalid_documents": {
            k: n
            for k, n in (
                ("export_order", ex.outcomes[False, ExportOutcome.INVALID]),
                ("import_order", im.outcomes[ImportOutcome.INVALID]),
            )
            if n
        },
        "export": _export_manifest(options, ex),
        "import": _import_manifest(options, im),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - started
    return {
        **manifest,
        "out": str(out),
        "seconds": round(seconds, 3),
        "orders_per_second": round(options.orders / seconds) if seconds else None,
    }


def _expected(outcomes: Mapping[Any, int], table: Mapping[Any, tuple[str, str]]) -> dict[str, Any]:
    """Matching results once every file is imported: the states, and the first failing rule of
    each unmatched order (the ``reason`` that ``cbec status`` counts)."""
    states: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for outcome, n in outcomes.items():
        state, reason = table[outcome]
        states[state] += n
        if reason:
            reasons[reason] += n
    return {
        "orders": sum(states.values()),
        "by_state": dict(sorted(states.items())),
        "by_reason": dict(sorted(reasons.items())),
    }
