"""The period's export refund report: claims, deadlines and late claims flagged."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.errors import InvalidInput
from cbec.tax import repository
from cbec.tax.service.common import REFUND, ZERO, _fen
from cbec.tax.service.explain import _by_gnum

# --------------------------------------------------------------------------------------------
# Refund report
# --------------------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")


def parse_period(period: str) -> tuple[date, date]:
    """``2025`` (year), ``2025-Q1`` (quarter) or ``2025-03`` (month) → first and last day."""
    m = _PERIOD.match(period.strip().upper())
    if m is None:
        raise InvalidInput(
            f"period must be a year (2025), a quarter (2025-Q1) or a month (2025-03): {period!r}",
            f"期间须为年度（2025）、季度（2025-Q1）或月份（2025-03）：{period!r}",
            field="period",
        )
    year = int(m.group(1))
    if m.group(2):
        first = (int(m.group(2)) - 1) * 3 + 1
        last = first + 2
    elif m.group(3):
        first = last = int(m.group(3))
    else:
        first, last = 1, 12
    end = date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)
    return date(year, first, 1), date.fromordinal(end.toordinal() - 1)


_REPORT_AMOUNTS = ("fobCny", "invoiceAmount", "refund", "exemptCreditRefund", "nonCreditable", "costTransfer")


def _report_row(a: Any, line: Mapping[str, Any], gname: str, b: Mapping[str, Any]) -> dict[str, Any]:
    """One exported line of a stored refund assessment, with its rates as stored."""
    refund_rate = b.get("refundRate")
    result = a.result
    return {
        "assessmentId": a.id,
        "claimDate": result["claimDate"],
        "claimPeriod": result.get("period"),
        "enterpriseKind": result["enterpriseKind"],
        "gnum": int(line["gnum"]),
        "invtNo": line.get("invtNo"),
        "exportDate": line["exportDate"],
        "gcode": line["gcode"],
        "gname": gname,
        "treatment": line["treatment"],
        "treatmentZh": line["treatmentZh"],
        "fobCny": line["fobCny"],
        "invoiceAmount": line.get("invoiceAmount"),
        "vatRate": b["vatRate"]["rate"] if b.get("vatRate") else None,
        "refundRate": refund_rate["rate"] if refund_rate else None,
        "refundRateSource": refund_rate["source"] if refund_rate else None,
        "refund": line["refund"],
        "exemptCreditRefund": line["exemptCreditRefund"],
        "nonCreditable": line["nonCreditable"],
        "costTransfer": line["costTransfer"],
        "deadline": line["deadline"],
        "late": bool(line["pastDeadline"]),
    }


def _basis_rows(a: Any, line: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The refund and VAT rates a line was assessed with: table, row, source, validity."""
    out = []
    for name in ("refundRate", "vatRate"):
        applied = b.get(name)
        if applied:
            out.append(
                {
                    "assessmentId": a.id,
                    "invtNo": line.get("invtNo"),
                    "gnum": int(line["gnum"]),
                    "gcode": line["gcode"],
                    "exportDate": line["exportDate"],
                    "rateKind": name,
                    "rate": applied["rate"],
                    "origin": applied.get("origin"),
                    "source": applied.get("source"),
                    "status": applied.get("status"),
                    "table": applied.get("table"),
                    "row": applied.get("row"),
                    "hsPrefix": applied.get("hsPrefix"),
                    "validFrom": applied.get("validFrom"),
                    "validTo": applied.get("validTo"),
                    "tablesSha256": a.result["basis"]["tables"]["sha256"],
                }
            )
    return out


def refund_report(session: Session, seller_code: str, period: str) -> dict[str, Any]:
    """The seller's export lines exported in ``period``, from the stored refund assessments.

    One row per exported line (the newest assessment of each claim counts; a re-run replaces
    the earlier one), with the refund rate and its source as stored, the refund, the
    non-creditable tax, the deadline and whether the claim was late; totals are sums of the rows
    to the fen. Lines are selected by their **export date** (the refund rate and the deadline
    follow it).
    """
    start, end = parse_period(period)
    rows: list[dict[str, Any]] = []
    basis: list[dict[str, Any]] = []
    for a in repository.latest_assessments(session, seller_code, REFUND):
        inputs = _by_gnum(a.input.get("lines", []))
        bases = _by_gnum(a.result["basis"]["lines"])
        for line in a.result["lines"]:
            if not start <= date.fromisoformat(line["exportDate"]) <= end:
                continue
            gnum = int(line["gnum"])
            b = bases.get(gnum, {})
            rows.append(_report_row(a, line, inputs.get(gnum, {}).get("gname", ""), b))
            basis.extend(_basis_rows(a, line, b))
    rows.sort(key=lambda r: (r["exportDate"], r["invtNo"] or "", r["assessmentId"], r["gnum"]))
    totals: dict[str, Any] = {
        key: _fen(sum((Decimal(r[key]) for r in rows if r[key] is not None), ZERO)) for key in _REPORT_AMOUNTS
    }
    totals["lines"] = len(rows)
    totals["late"] = sum(1 for r in rows if r["late"])
    return {
        "kind": "cbec.tax.refund-report",
        "sellerCode": seller_code,
        "period": period,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rows": rows,
        "totals": totals,
        "basis": basis,
    }
