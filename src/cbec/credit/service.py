"""The credit record and rating of an enterprise (电商信用体系), on stored data.

``rate`` gathers the enterprise's own history in the window (declared lists, customs refusals,
cancellations and returns, risk hits a reviewer confirmed, tax refusals, invalid documents), reads
the imported facts (customs tier, dishonesty listings), scores them with the pure
``credit.rules``, keeps the grade when it changed (the history of grades) and pushes the standing
down to risk, whose lanes read it. ``import_list`` takes an operator's CSV of a dishonesty list or
of customs tiers with its source and date. ``query`` answers a partner (grade and date only) and
records the query. Objections are filed by the enterprise and answered by the operator. Nothing
here commits.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.credit import repository, rules
from cbec.credit.models import CreditFact, CreditGrade, CreditObjection
from cbec.credit.schemas import (
    ContributionRead,
    CreditQueryRead,
    CreditRecordRead,
    EventRead,
    FactRead,
    GradeRead,
    ListImportRead,
    ObjectionRead,
    OverrideRead,
)
from cbec.errors import InvalidInput, NotFound, RuleViolation
from cbec.orm import utcnow
from cbec.partners import service as partners
from cbec.risk import service as risk
from cbec.risk.schemas import CreditStanding

WINDOW = timedelta(days=365)
REFUSED = {"rejected"}
CANCELLED = {"cancelled", "returned", "shipped_back"}
KINDS = ("dishonest", "tier")


def _window(as_of: date) -> tuple[datetime, datetime]:
    end = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)
    return end - WINDOW, end


def _registered(session: Session, code: str) -> Decimal:
    """1 for an enterprise on record with its 18-character USCC, 0.5 with a customs code only."""
    e = partners.find_enterprise(session, code)
    if e is None:
        return Decimal(0)
    return Decimal(1) if len(e.code) == 18 else Decimal("0.5")


def history(session: Session, code: str, as_of: date) -> tuple[rules.History, list[EventRead]]:
    """The enterprise's history in the window, and its dated events by month and kind."""
    since, until = _window(as_of)
    events: Counter[tuple[str, str]] = Counter()
    lists = repository.list_rows(session, code, since, until)
    for status, created, updated in lists:
        events[(created.strftime("%Y-%m"), "declared")] += 1
        if status in REFUSED:
            events[(updated.strftime("%Y-%m"), "refused")] += 1
        elif status in CANCELLED:
            events[(updated.strftime("%Y-%m"), "cancelled_returned")] += 1
    hits = repository.confirmed_hits(session, code, since, until)
    for at in hits:
        events[(at.strftime("%Y-%m"), "confirmed_hit")] += 1
    taxed = repository.tax_refusals(session, code, since, until)
    for at in taxed:
        events[(at.strftime("%Y-%m"), "tax_refused")] += 1
    documents, invalid = repository.document_counts(session, code, since, until)
    fx_orders, fx_overdue = repository.fx_counts(session, code, since, until)
    parcels, failed = repository.delivery_counts(session, code, since, until)
    if failed:
        events[(until.strftime("%Y-%m"), "delivery_exceptions")] += failed
    h = rules.History(
        registered=_registered(session, code),
        lists=len(lists),
        refused=sum(1 for s, _, _ in lists if s in REFUSED),
        cancelled_returned=sum(1 for s, _, _ in lists if s in CANCELLED),
        confirmed_hits=len(hits),
        tax_refusals=len(taxed),
        documents=documents,
        invalid_documents=invalid,
        fx_orders=fx_orders,
        fx_overdue=fx_overdue,
        parcels_tracked=parcels,
        delivery_exceptions=failed,
    )
    return h, [EventRead(month=m, kind=k, count=n) for (m, k), n in sorted(events.items())]


def _fact(f: CreditFact) -> rules.Fact:
    return rules.Fact(f.kind, f.value, f.valid_from, f.valid_until, f.source, f.source_date)


def _contribution(c: rules.Contribution) -> dict[str, Any]:
    return {
        "dimension": c.dimension,
        "factor": c.factor,
        "value": None if c.value is None else str(c.value),
        "score": str(c.score),
        "weight": str(c.weight),
        "points": str(c.points),
        "source": c.source,
    }


def grade_read(g: CreditGrade) -> GradeRead:
    return GradeRead(
        id=g.id,
        enterprise_code=g.enterprise_code,
        as_of=g.as_of,
        score=g.score,
        computed_grade=g.computed_grade,
        grade=g.grade,
        dishonest=g.dishonest,
        customs_tier=g.customs_tier,
        contributions=[
            ContributionRead(dimension_zh=rules.DIMENSIONS.get(c["dimension"], ("", ""))[0], **c)
            for c in g.contributions
        ],
        overrides=[OverrideRead(**o) for o in g.overrides],
        created_at=g.created_at,
    )


def rate(session: Session, code: str, *, as_of: date | None = None) -> GradeRead:
    """Rate the enterprise on ``as_of`` (default today); the grade is kept when it differs from
    the latest kept one, and the standing is pushed to risk (its lanes)."""
    as_of = as_of or utcnow().date()
    h, _ = history(session, code, as_of)
    r = rules.rate(h, [_fact(f) for f in repository.facts(session, code)], as_of)
    parts = [_contribution(c) for c in r.contributions]
    overrides = [{"message_zh": zh, "message_en": en} for zh, en in r.overrides]
    last = repository.latest_grade(session, code)
    same = last is not None and (
        (last.grade, last.score, last.dishonest, last.customs_tier, last.contributions, last.overrides)
        == (r.grade, r.score, r.dishonest, r.customs_tier, parts, overrides)
    )
    if last is not None and same:
        return grade_read(last)
    row = CreditGrade(
        enterprise_code=code, as_of=as_of, score=r.score, computed_grade=r.computed_grade, grade=r.grade,
        dishonest=r.dishonest, customs_tier=r.customs_tier, contributions=parts, overrides=overrides,
        history=_history_dict(h),
        created_at=utcnow(),
    )  # fmt: skip
    repository.add_grade(session, row)
    session.flush()
    risk.set_standing(session, CreditStanding(code, r.grade, r.customs_tier, r.dishonest, as_of))
    return grade_read(row)


def _history_dict(h: rules.History) -> dict[str, Any]:
    return {k: str(getattr(h, k)) for k in h.__slots__}


def fact_read(f: CreditFact, on: date) -> FactRead:
    return FactRead(
        id=f.id, enterprise_code=f.enterprise_code, name=f.name, kind=f.kind, value=f.value,
        valid_from=f.valid_from, valid_until=f.valid_until, active=rules.active(_fact(f), on),
        source=f.source, source_date=f.source_date, imported_by=f.imported_by,
    )  # fmt: skip


def objection_read(o: CreditObjection) -> ObjectionRead:
    return ObjectionRead(
        id=o.id, enterprise_code=o.enterprise_code, grade_id=o.grade_id, text=o.text, filed_by=o.filed_by,
        filed_at=o.filed_at, status=o.status, answer=o.answer, answered_by=o.answered_by,
        answered_at=o.answered_at,
    )  # fmt: skip


def _in_scope(code: str, scope: frozenset[str] | None, session: Session | None = None) -> None:
    """Refuse, alike, an enterprise outside the caller's scope and one the platform knows nothing
    of (neither registered nor on an imported list)."""
    unknown = (
        session is not None and partners.find_enterprise(session, code) is None and not repository.facts(session, code)
    )
    if (scope is not None and code not in scope) or unknown:
        raise NotFound("no credit record for this enterprise", "没有该企业的信用记录", field="code")


def record(
    session: Session, code: str, *, scope: frozenset[str] | None = None, as_of: date | None = None
) -> CreditRecordRead:
    """The enterprise's whole record (rated now): grade, contributions, history, facts, events."""
    _in_scope(code, scope, session)
    as_of = as_of or utcnow().date()
    current = rate(session, code, as_of=as_of)
    _, events = history(session, code, as_of)
    e = partners.find_enterprise(session, code)
    return CreditRecordRead(
        enterprise_code=code,
        name=e.name if e is not None else "",
        current=current,
        grades=[grade_read(g) for g in repository.grades(session, code)],
        facts=[fact_read(f, as_of) for f in repository.facts(session, code)],
        events=events,
        objections=[objection_read(o) for o in repository.objections(session, code)],
    )


def query(
    session: Session, code: str, *, caller: str, scope: frozenset[str] | None = None, as_of: date | None = None
) -> CreditQueryRead:
    """A partner's credit query: the current grade and its date. Every query is recorded."""
    _in_scope(code, scope, session)
    g = rate(session, code, as_of=as_of)
    audit.record(session, "credit.query", f"enterprise:{code}", {"by": caller, "grade": g.grade})
    return CreditQueryRead(
        enterprise_code=code, grade=g.grade, as_of=g.as_of, dishonest=g.dishonest, customs_tier=g.customs_tier
    )


def graded(session: Session, scope: frozenset[str] | None) -> list[GradeRead]:
    return [grade_read(g) for g in repository.latest_grades(session, scope)]


def sellers(session: Session) -> list[tuple[str, str, GradeRead | None]]:
    """Every seller enterprise, with its latest grade (None: not rated yet), and every other
    enterprise rated (e.g. one only on an imported list)."""
    latest = {g.enterprise_code: g for g in graded(session, None)}
    out = [(e.code, e.name, latest.pop(e.code, None)) for e in partners.list_enterprises(session, role="ebc")]
    return out + [(code, "", g) for code, g in sorted(latest.items())]


# --- imported lists -----------------------------------------------------------------------------

LIST_COLUMNS = ("code", "name", "value", "valid_from", "valid_until")


def _date(text: str, row: int, name: str, *, required: bool) -> date | None:
    text = text.strip()
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"row {row}: {name} must be a date YYYY-MM-DD, not {text!r}",
            f"第 {row} 行：{name} 须为日期 YYYY-MM-DD，而不是 {text!r}",
            field=name,
        ) from None


def _list_row(r: dict[str, str], n: int, kind: str) -> dict[str, Any]:
    code = (r.get("code") or "").strip().upper()
    if len(code) not in (10, 18):
        raise InvalidInput(
            f"row {n}: code must be an 18-character USCC or a 10-character customs code, not {code!r}",
            f"第 {n} 行：code 须为18位统一社会信用代码或10位海关编码，而不是 {code!r}",
            field="code",
        )
    value = (r.get("value") or "").strip() or ("失信企业名单" if kind == "dishonest" else "")
    if kind == "tier" and value not in rules.TIERS:
        raise InvalidInput(
            f"row {n}: value must be a customs tier of GACC Order 282 ({', '.join(rules.TIERS)}), not {value!r}",
            f"第 {n} 行：value 须为海关总署令第282号的信用等级（{'、'.join(rules.TIERS)}），而不是 {value!r}",
            field="value",
        )
    start = _date(r.get("valid_from") or "", n, "valid_from", required=True)
    until = _date(r.get("valid_until") or "", n, "valid_until", required=False)
    if start is not None and until is not None and until <= start:
        raise InvalidInput(
            f"row {n}: valid_until {until} is not after valid_from {start}",
            f"第 {n} 行：valid_until {until} 不晚于 valid_from {start}",
            field="valid_until",
        )
    return {"enterprise_code": code, "name": (r.get("name") or "").strip()[:200], "kind": kind,
            "value": value[:100], "valid_from": start, "valid_until": until}  # fmt: skip


def import_list(
    session: Session, data: bytes, *, kind: str, source: str, source_date: date, by: str, as_of: date | None = None
) -> ListImportRead:
    """An operator's CSV of a dishonesty list (``kind`` dishonest: customs' or 信用中国's, never
    scraped) or of customs tiers (``kind`` tier), with its source and date. Columns: code, name,
    value (the list's or tier's name), valid_from, valid_until (repair or expiry; empty: open).
    The whole file is refused on the first bad row, naming it; the enterprises listed are rated
    again."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be dishonest or tier, not {kind!r}", f"类型须为 dishonest 或 tier，而不是 {kind!r}", field="kind")  # fmt: skip
    if not source.strip():
        raise InvalidInput("a list needs its source", "名单须注明来源（source）", field="source")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the list is not UTF-8 text", "名单文件不是 UTF-8 文本", field="file") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("code", "valid_from") if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            f"the list needs the columns {', '.join(LIST_COLUMNS)}; missing: {', '.join(missing)}",
            f"名单须有列 {', '.join(LIST_COLUMNS)}；缺少：{', '.join(missing)}",
            field=missing[0],
        )
    now = utcnow()
    rows = [
        _list_row(r, n, kind)
        | {
            "source": source.strip()[:200],
            "source_date": source_date,
            "imported_by": by[:60],
            "created_at": now,
        }
        for n, r in enumerate(reader, start=2)
    ]
    repository.add_facts(session, rows)
    session.flush()
    codes = sorted({r["enterprise_code"] for r in rows})
    for code in codes:
        rate(session, code, as_of=as_of)
    audit.record(session, "credit.import_list", f"list:{kind}", {"source": source, "date": source_date.isoformat(), "rows": len(rows), "by": by})  # fmt: skip
    return ListImportRead(rows=len(rows), imported=len(rows), enterprises=codes, source=source, source_date=source_date, kind=kind)  # fmt: skip


# --- objections ---------------------------------------------------------------------------------


def file_objection(
    session: Session, code: str, text: str, *, by: str, scope: frozenset[str] | None = None
) -> ObjectionRead:
    """The enterprise objects to its record (a fact, an event, a grade); the operator answers."""
    _in_scope(code, scope, session)
    if not text.strip():
        raise InvalidInput("an objection needs its reasons (text)", "异议须写明理由（text）", field="text")
    last = repository.latest_grade(session, code)
    row = CreditObjection(
        enterprise_code=code, grade_id=last.id if last else None, text=text.strip()[:2000], filed_by=by[:60],
        filed_at=utcnow(), status="open", answer="", answered_by="",
    )  # fmt: skip
    repository.add_objection(session, row)
    session.flush()
    audit.record(session, "credit.objection", f"objection:{row.id}", {"enterprise": code, "by": by})
    return objection_read(row)


def answer_objection(session: Session, objection_id: int, status: str, answer: str, *, by: str) -> ObjectionRead:
    """The operator upholds or rejects an objection, with the reasons; an answer is final."""
    if status not in ("upheld", "rejected"):
        raise InvalidInput(f"status must be upheld or rejected, not {status!r}", f"答复须为 upheld（成立）或 rejected（不成立），而不是 {status!r}", field="status")  # fmt: skip
    if not answer.strip():
        raise InvalidInput("an answer needs its reasons", "答复须写明理由（answer）", field="answer")
    row = repository.objection(session, objection_id)
    if row is None:
        raise NotFound(f"objection {objection_id} not found", f"异议 {objection_id} 不存在", field="id")
    if row.status != "open":
        raise RuleViolation(f"objection {objection_id} was answered already", f"异议 {objection_id} 已答复", field="id")
    row.status, row.answer, row.answered_by, row.answered_at = status, answer.strip()[:2000], by[:60], utcnow()
    session.flush()
    audit.record(session, "credit.answer", f"objection:{row.id}", {"status": status, "by": by})
    return objection_read(row)
