"""The seller's submissions, as it follows them: the list with what became of each, one with its
errors (a row that could not be read, a document that failed a check), the errors as CSV and
XLSX in both languages, and the corrected file sent again: the bad order becomes valid as its
next version, the good one is not duplicated, and nothing received earlier is lost."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from tests.e2e.web_world import World
from tests.integration.helpers import PLATFORM, export_order

pytestmark = pytest.mark.e2e


def _auth(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys['a']}"}


def _push(world: World, docs: list[dict[str, object]]) -> dict[str, object]:
    r = world.client().post(
        "/api/v1/documents",
        params={"platform": PLATFORM.code},
        content=json.dumps(docs, ensure_ascii=False).encode(),
        headers={**_auth(world), "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_errors_listed_downloaded_and_corrected(world: World) -> None:
    good = export_order("SO-SUB-GOOD")
    bad = export_order("SO-SUB-BAD")
    bad["head"]["destinationCountry"] = "XX"  # not a country
    first = _push(world, [good, bad])
    inbox_id = first["inbox_id"]
    assert first["invalid"] == 1
    c = world.client()
    listed = c.get("/api/v1/uploads", headers=_auth(world)).json()
    row = next(x for x in listed["items"] if x["inbox_id"] == inbox_id)
    assert (row["documents"], row["invalid"], row["channel"]) == (2, 1, "api")
    report = c.get(f"/api/v1/uploads/{inbox_id}", headers=_auth(world)).json()
    (error,) = report["document_errors"]
    assert error["field"] == "destinationCountry" and "SO-SUB-BAD" in error["document"]
    assert error["message_zh"] and error["message_en"]

    csv_text = c.get(f"/api/v1/uploads/{inbox_id}/errors.csv", headers=_auth(world)).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("document 单证") and "destinationCountry" in csv_text
    xlsx = c.get(f"/api/v1/uploads/{inbox_id}/errors.xlsx", headers=_auth(world))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "document 单证" and rows[1][2] == "destinationCountry" and "SO-SUB-BAD" in rows[1][0]
    assert rows[1][4] == error["message_zh"] and rows[1][5] == error["message_en"]

    bad["head"]["destinationCountry"] = "399"  # corrected: a customs code, as JSON documents carry them
    second = _push(world, [good, bad])
    assert (second["invalid"], second["duplicates"], second["new_versions"]) == (0, 1, 1)
    docs = c.get("/api/v1/documents", params={"q": "SO-SUB-BAD", "current": "false"}, headers=_auth(world)).json()
    versions = sorted((d["version"], d["is_valid"], d["is_current"]) for d in docs["items"])
    assert versions == [(1, False, False), (2, True, True)]  # the first version is kept
    goods = c.get("/api/v1/documents", params={"q": "SO-SUB-GOOD", "current": "false"}, headers=_auth(world)).json()
    assert goods["total"] == 1  # not duplicated


def test_the_pages_show_the_submissions_and_offer_the_resubmission(world: World) -> None:
    client, _ = world.login("alice")
    page = client.get("/submissions")
    assert page.status_code == 200 and 'id="submissions-table"' in page.text
    inbox_id = world.ids["A"]["inbox"]
    detail = client.get(f"/submissions/{inbox_id}")
    assert detail.status_code == 200 and 'id="resubmit-form"' in detail.text and "errors.xlsx" in detail.text
