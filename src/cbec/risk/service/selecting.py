"""Risk lanes of every list (ASYCUDA selectivity, ``cbec.risk.lanes``) and the credit standings
they read.

Customs calls ``assign_lanes`` for the lists it has just stored (import and export); each list
is laned once, by criteria over its enterprise's standing and the rules that hit its order,
else by its reproducible random draw at the topped-up (or floor) rates; the sandbox customs
reads the lane (``lane_of``). The credit area, above, pushes each enterprise's standing down
with ``set_standing`` whenever it recomputes a grade. Nothing here commits.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from cbec.config import get_settings
from cbec.errors import InvalidInput
from cbec.kit.paging import PageRequest
from cbec.kit.read import Page
from cbec.orm import utcnow
from cbec.risk import lanes, repository
from cbec.risk.models import RiskLane, RiskStanding
from cbec.risk.schemas import (
    CUSTOMS_TIERS,
    GRADES,
    CreditStanding,
    HitCount,
    LaneRead,
    LaneShare,
    ListToLane,
    RiskOverview,
)

LANES_FILE = Path(__file__).parent.parent / "data" / "lanes.toml"


def lane_config(path: Path | None = None) -> lanes.LaneConfig:
    """The lanes' rates and criteria from ``path``, the operator's file (``CBEC_RISK_LANES``) or
    the shipped ones."""
    return _lane_config(path or get_settings().risk_lanes or LANES_FILE)


@lru_cache(maxsize=8)
def _lane_config(file: Path) -> lanes.LaneConfig:
    try:
        return lanes.LaneConfig.from_mapping(tomllib.loads(file.read_text(encoding="utf-8")), source=str(file))
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            f"risk lanes {file} cannot be used: {exc}",
            f"风险通道配置文件 {file} 无法使用：{exc}",
            document=str(file),
        ) from None


def _counts(session: Session) -> lanes.Counts:
    counts = lanes.Counts()
    for reason, lane, best, n in repository.lane_counts(session):
        counts.total += n
        if reason == "criteria":
            counts.criteria[lane] = counts.criteria.get(lane, 0) + n
        elif best:
            counts.best += n
    return counts


def assign_lanes(
    session: Session, lists: Sequence[ListToLane], *, config: lanes.LaneConfig | None = None
) -> dict[str, str]:
    """Give each new list its lane (a list laned before keeps its lane). Returns copNo → lane."""
    config = config or lane_config()
    out: dict[str, str] = {}
    fresh: list[ListToLane] = []
    for direction in {x.direction for x in lists}:
        mine = [x for x in lists if x.direction == direction]
        before = repository.laned(session, direction, [x.cop_no for x in mine])
        out.update({k: v.lane for k, v in before.items()})
        fresh.extend(x for x in mine if x.cop_no not in before)
    if not fresh:
        return out
    counts = _counts(session)
    standings = {
        k: standing_of_row(v) for k, v in repository.standings(session, {x.seller_code for x in fresh}).items()
    }
    doc_ids = [x.order_doc_id for x in fresh if x.order_doc_id is not None]
    hit = repository.rules_hit(session, doc_ids)
    order_nos = repository.order_nos(session, doc_ids)
    rows, now = [], utcnow()
    for x in sorted(fresh, key=lambda x: x.cop_no):
        facts = lanes.conditions(standings.get(x.seller_code), hit.get(x.order_doc_id or 0, ()))
        choice = lanes.select(config, x.cop_no, facts, counts)
        out[x.cop_no] = choice.lane
        rows.append(
            {
                "cop_no": x.cop_no[:60],
                "message_type": x.message_type,
                "direction": x.direction,
                "seller_code": x.seller_code[:18],
                "order_no": order_nos.get(x.order_doc_id or 0, "")[:60],
                "lane": choice.lane,
                "reason": choice.reason,
                "best": choice.best,
                "draw": choice.draw,
                "rate": choice.rate,
                "criteria": [c.when for c in choice.criteria],
                "created_at": now,
            }
        )
    repository.add_lanes(session, rows)
    return out


def lane_of(session: Session, direction: str, cop_no: str) -> str | None:
    """The lane of a list (None: not laned, e.g. declared before lanes existed)."""
    row = repository.laned(session, direction, [cop_no]).get(cop_no)
    return row.lane if row is not None else None


def standing_of_row(row: RiskStanding) -> CreditStanding:
    return CreditStanding(row.enterprise_code, row.grade, row.customs_tier, row.dishonest, row.as_of)


def standing_of(session: Session, code: str) -> CreditStanding | None:
    row = repository.standing(session, code)
    return standing_of_row(row) if row is not None else None


def set_standing(session: Session, standing: CreditStanding) -> None:
    """Keep an enterprise's standing as credit last computed it (the lanes of its next lists)."""
    if standing.grade is not None and standing.grade not in GRADES:
        raise InvalidInput(
            f"grade must be one of {', '.join(GRADES)}, not {standing.grade!r}",
            f"信用等级须为 {'、'.join(GRADES)} 之一，而不是 {standing.grade!r}",
            field="grade",
        )
    if standing.customs_tier is not None and standing.customs_tier not in CUSTOMS_TIERS:
        raise InvalidInput(
            f"customs tier must be one of {', '.join(CUSTOMS_TIERS)} (海关总署令第282号), not {standing.customs_tier!r}",
            f"海关信用等级须为 {'、'.join(CUSTOMS_TIERS)} 之一（海关总署令第282号），而不是 {standing.customs_tier!r}",
            field="customs_tier",
        )
    row = repository.standing(session, standing.enterprise_code)
    if row is None:
        row = RiskStanding(enterprise_code=standing.enterprise_code)
        repository.add_standing(session, row)
    row.grade, row.customs_tier, row.dishonest = standing.grade, standing.customs_tier, standing.dishonest
    row.as_of, row.updated_at = standing.as_of, utcnow()
    session.flush()


def lane_read(row: RiskLane) -> LaneRead:
    choice = lanes.LaneChoice(
        row.lane, row.reason, row.best, row.draw, row.rate, tuple(lanes.Criterion(c, row.lane) for c in row.criteria)
    )
    return LaneRead(
        cop_no=row.cop_no,
        message_type=row.message_type,
        direction=row.direction,
        seller_code=row.seller_code,
        order_no=row.order_no,
        lane=row.lane,
        reason=row.reason,
        best=row.best,
        draw=row.draw,
        rate=row.rate,
        criteria=list(row.criteria),
        message_zh=choice.message_zh,
        message_en=choice.message_en,
        created_at=row.created_at,
    )


def list_lanes(
    session: Session,
    scope: frozenset[str] | None,
    req: PageRequest,
    *,
    lane: str | None = None,
    seller_code: str | None = None,
    day: date | None = None,
) -> Page[LaneRead]:
    if lane and lane not in lanes.LANES:
        raise InvalidInput(
            f"lane must be one of {', '.join(lanes.LANES)}, not {lane!r}",
            f"通道须为 {'、'.join(lanes.LANES)} 之一，而不是 {lane!r}",
            field="lane",
        )
    between = None
    if day is not None:
        start = datetime(day.year, day.month, day.day, tzinfo=utcnow().tzinfo)
        between = (start, start + timedelta(days=1))
    total, rows = repository.list_lanes(
        session, scope, lane=lane, seller_code=seller_code, between=between, offset=req.offset, limit=req.page_size
    )
    return Page[LaneRead].of([lane_read(r) for r in rows], total, req)


def _top(counter: Counter[str], n: int | None = None) -> list[HitCount]:
    return [HitCount(key=k, count=v) for k, v in (counter.most_common(n) if n else sorted(counter.items()))]


def overview(
    session: Session, scope: frozenset[str] | None, *, by_seller: bool = True, config: lanes.LaneConfig | None = None
) -> RiskOverview:
    """Lanes against their configured rates, hits by rule, seller and day (UTC days); without
    ``by_seller`` (the regulator's view) no enterprise is named."""
    config = config or lane_config()
    lane_rows = repository.lane_rows(session, scope)
    by_lane = Counter(ln for ln, _ in lane_rows)
    n = len(lane_rows)
    shares = [
        LaneShare(
            lane=ln,
            count=by_lane.get(ln, 0),
            share=by_lane.get(ln, 0) / n if n else 0.0,
            expected=config.rates[ln].expected if ln in config.rates else None,
            floor=config.rates[ln].floor if ln in config.rates else None,
        )
        for ln in lanes.LANES
    ]
    by_day: dict[str, Counter[str]] = {ln: Counter() for ln in lanes.LANES}
    for ln, at in lane_rows:
        by_day[ln][at.date().isoformat()] += 1
    hits = repository.hit_rows(session, scope)
    return RiskOverview(
        lanes=shares,
        lists=n,
        hits_by_rule=_top(Counter(r for r, _, _ in hits), 20),
        hits_by_seller=_top(Counter(s for _, s, _ in hits), 20) if by_seller else [],
        hits_by_day=_top(Counter(at.date().isoformat() for _, _, at in hits)),
        lanes_by_day={ln: _top(c) for ln, c in by_day.items()},
    )
