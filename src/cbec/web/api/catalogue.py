"""The seller's catalogue (商品备案) over HTTP: its SKUs with the suggested HS codes and the orders
each holds, decisions on one SKU or many, a catalogue file, and search of HS2022 by words.

A decision re-matches at once the orders that waited on the SKUs it made declarable, and says
how many were released to declaration. The catalogue is the seller's own: a seller (user or API
key of an ``ebc`` enterprise) works on its own; the operator names the seller; the regulator
and other partners have no catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from cbec.accounts.rules import Principal
from cbec.catalogue import service as catalogue
from cbec.catalogue.rules import parse_state
from cbec.catalogue.schemas import CatalogueImportRead, DecisionRead, HsHit, ProductFilter, ProductPage
from cbec.errors import InvalidInput
from cbec.matching import service as matching
from cbec.web.deps import Caller, Paging, Uow, own_seller

router = APIRouter(tags=["catalogue 商品备案"])

Seller = Annotated[str | None, Query(max_length=18, description="the seller (operator only) 电商企业代码")]
MAX_FILE_BYTES = 20 * 1024 * 1024


def catalogue_seller(session: Session, p: Principal, seller: str | None) -> str:
    """Whose catalogue: the caller's own (a seller), or the one the operator names."""
    return own_seller(session, p, seller, what_en="catalogue", what_zh="商品备案")


def product_filter(
    state: str | None, min_score: float | None, max_score: float | None, q: str, waiting: dict[str, int] | None
) -> ProductFilter:
    try:
        parsed = parse_state(state)
    except ValueError:
        raise InvalidInput(
            f"unknown state {state!r}: none, suggested, confirmed, corrected, unconfirmed or all",
            f"未知状态 {state!r}：可选 none、suggested、confirmed、corrected、unconfirmed、all",
            field="state",
        ) from None
    only = frozenset(sku for sku, n in waiting.items() if n) if waiting is not None else None
    return ProductFilter(state=parsed, min_score=min_score, max_score=max_score, q=q.strip(), only_skus=only)


def catalogue_page(
    session: Session,
    seller: str,
    paging: Paging,
    *,
    state: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    q: str = "",
    waiting_only: bool = False,
) -> ProductPage:
    waiting = matching.waiting_by_sku(session, seller)
    flt = product_filter(state, min_score, max_score, q, waiting if waiting_only else None)
    return catalogue.list_page(
        session, seller, flt, paging, waiting=waiting, orders_waiting=matching.orders_waiting(session, seller)
    )


def released(session: Session, seller: str, decision: DecisionRead) -> DecisionRead:
    """The decision with the orders it released: those waiting on the SKUs now declarable are
    re-matched in the same unit of work."""
    report = matching.release_waiting(session, seller, [*decision.confirmed, *decision.corrected])
    return decision.model_copy(
        update={"rematched": report.rematched, "released": report.released, "still_waiting": report.still_waiting}
    )


@router.get("/catalogue", response_model=ProductPage, summary="The seller's SKUs 商品备案列表")
def list_catalogue(
    p: Caller,
    uow: Uow,
    paging: Paging,
    seller: Seller = None,
    state: Annotated[
        str | None, Query(max_length=12, description="none|suggested|confirmed|corrected|unconfirmed")
    ] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    max_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    q: Annotated[str, Query(max_length=100, description="words of the SKU, its names or HS code")] = "",
    waiting: Annotated[bool, Query(description="only SKUs that orders wait on")] = False,
) -> ProductPage:
    code = catalogue_seller(uow.session, p, seller)
    return catalogue_page(
        uow.session, code, paging, state=state, min_score=min_score, max_score=max_score, q=q, waiting_only=waiting
    )


class ConfirmRequest(BaseModel):
    """Confirm the suggestions of the SKUs named, or of every SKU the filter selects."""

    seller: str | None = Field(default=None, max_length=18)
    skus: list[str] = Field(default_factory=list, max_length=10_000)
    state: str | None = Field(default=None, max_length=12)
    min_score: float | None = Field(default=None, ge=0, le=1)
    max_score: float | None = Field(default=None, ge=0, le=1)
    q: str = Field(default="", max_length=100)
    waiting: bool = False


class CorrectRequest(BaseModel):
    seller: str | None = Field(default=None, max_length=18)
    skus: list[str] = Field(min_length=1, max_length=10_000)
    hs_code: str = Field(max_length=14)


@router.post("/catalogue/confirm", response_model=DecisionRead, summary="Confirm suggested HS codes 确认建议编码")
def confirm(body: ConfirmRequest, p: Caller, uow: Uow) -> DecisionRead:
    code = catalogue_seller(uow.session, p, body.seller)
    if body.skus:
        decision = catalogue.confirm_skus(uow.session, code, body.skus, by=p.name)
    else:
        if body.min_score is None:
            raise InvalidInput(
                "name the SKUs to confirm, or give min_score to accept every suggestion at or above it",
                "请列出要确认的 SKU，或给出 min_score 以接受不低于该分数的全部建议",
                field="min_score",
            )
        waiting = matching.waiting_by_sku(uow.session, code) if body.waiting else None
        flt = product_filter(body.state, body.min_score, body.max_score, body.q, waiting)
        decision = catalogue.confirm_filtered(uow.session, code, flt, by=p.name)
    out = released(uow.session, code, decision)
    uow.commit()
    return out


@router.post("/catalogue/correct", response_model=DecisionRead, summary="Give SKUs an HS code 更正 HS 编码")
def correct(body: CorrectRequest, p: Caller, uow: Uow) -> DecisionRead:
    code = catalogue_seller(uow.session, p, body.seller)
    out = released(uow.session, code, catalogue.correct_skus(uow.session, code, body.skus, body.hs_code, by=p.name))
    uow.commit()
    return out


def import_file(session: Session, seller: str, file: UploadFile, by: str) -> CatalogueImportRead:
    """Take in an uploaded catalogue file (at most MAX_FILE_BYTES) and release the orders that
    waited on the SKUs it gave a code."""
    data = file.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("the catalogue file is over 20 MB", "商品备案文件超过 20 MB", field="file")
    report, changed = catalogue.import_catalogue(session, seller, data, filename=file.filename or "", by=by)
    release = matching.release_waiting(session, seller, changed)
    return report.model_copy(update={"rematched": release.rematched, "released": release.released})


@router.post("/catalogue/import", response_model=CatalogueImportRead, summary="Import a catalogue file 导入商品备案表")
def import_catalogue(
    p: Caller,
    uow: Uow,
    file: Annotated[UploadFile, File(description="CSV or XLSX: SKU, HS code, 中文品名, units, origin")],
    seller: Annotated[str | None, Form(max_length=18)] = None,
) -> CatalogueImportRead:
    code = catalogue_seller(uow.session, p, seller)
    out = import_file(uow.session, code, file, p.name)
    uow.commit()
    return out


@router.get("/hs/search", response_model=list[HsHit], summary="Search HS2022 by words or code 按词或编码查 HS")
def search_hs(
    p: Caller,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Chinese or English words, or a code")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[HsHit]:
    return catalogue.search_hs(q, limit=limit)
