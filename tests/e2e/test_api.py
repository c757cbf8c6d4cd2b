"""The partner API and the web platform around it, in-process over the two-seller world:
submission and its report, duplicates, Idempotency-Key, errors, paging and filters, receipts and
the XML sent, masked personal data and its recorded opening, exact amounts, rate limits, keys,
uploads, sign-in and CSRF, and the OpenAPI documents."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cbec.ceb.messages import check_message
from cbec.ceb.signing import verify
from cbec.intake.schemas import ImportReportRead
from cbec.web.app import create_app
from tests.e2e.web_world import BUYER_ID, PASSWORDS, World, build_world
from tests.integration.helpers import PLATFORM, SELLER, export_order, export_waybill

pytestmark = pytest.mark.e2e

AMAZON = Path(__file__).resolve().parents[1] / "data" / "amazon-all-orders.txt"
MASKED_ID = "1101**********4477"


def _auth(world: World, key: str = "a") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys[key]}"}


def _post_docs(client: TestClient, world: World, body: bytes, *, key: str = "a", **headers: str) -> Any:
    return client.post(
        "/api/v1/documents",
        params={"platform": PLATFORM.code},
        content=body,
        headers={**_auth(world, key), "Content-Type": "application/json", **headers},
    )


def _as_json(*docs: dict[str, Any]) -> bytes:
    return json.dumps(list(docs), ensure_ascii=False).encode()


@pytest.fixture(scope="module")
def client(world: World) -> TestClient:
    return world.client()


@pytest.fixture(scope="module")
def alice(world: World) -> tuple[TestClient, str]:
    return world.login("alice")


@pytest.fixture(scope="module")
def operator(world: World) -> tuple[TestClient, str]:
    return world.login("operator")


def _error_shape(body: dict[str, Any], code: str) -> None:
    assert body["error"] == code
    assert body["message_zh"] and body["message_en"]
    assert set(body) <= {"error", "message_zh", "message_en", "field", "document", "details", "inbox_id"}


# --- submitting ---------------------------------------------------------------------------------


def test_submission_returns_the_import_report_and_a_resubmission_only_duplicates(
    world: World, client: TestClient
) -> None:
    body = _as_json(export_order("SO-A-0101"), export_waybill("SO-A-0101", "LP000001015CN"))
    first = _post_docs(client, world, body)
    assert first.status_code == 201, first.text
    report = first.json()
    assert report["status"] == "done" and report["error"] is None
    assert (report["documents"], report["new"], report["duplicates"], report["invalid"]) == (2, 2, 0, 0)
    assert report["by_type"] == {"export_order": 1, "export_waybill": 1}
    assert report["matching"]["by_state"] == {"matched": 1}
    assert isinstance(report["inbox_id"], int)
    assert ImportReportRead.model_validate(report).new == 2  # the answer is what OpenAPI says it is

    listed = client.get("/api/v1/documents", params={"q": "SO-A-0101"}, headers=_auth(world)).json()
    again = _post_docs(client, world, body)
    assert again.status_code == 201
    assert (again.json()["new"], again.json()["duplicates"], again.json()["new_versions"]) == (0, 2, 0)
    assert again.json()["inbox_id"] != report["inbox_id"]  # each submission is kept as received
    relisted = client.get("/api/v1/documents", params={"q": "SO-A-0101"}, headers=_auth(world)).json()
    assert relisted["total"] == listed["total"] == 2
    assert [d["id"] for d in relisted["items"]] == [d["id"] for d in listed["items"]]


def test_a_changed_document_is_a_new_version(world: World, client: TestClient) -> None:
    assert _post_docs(client, world, _as_json(export_order("SO-A-0102"))).json()["new"] == 1
    changed = _post_docs(client, world, _as_json(export_order("SO-A-0102", qty="3")))
    assert (changed.json()["new"], changed.json()["new_versions"]) == (0, 1)
    docs = client.get("/api/v1/documents", params={"q": "SO-A-0102", "current": "false"}, headers=_auth(world))
    assert sorted((d["version"], d["is_current"]) for d in docs.json()["items"]) == [(1, False), (2, True)]


def test_idempotency_key_replays_the_first_answer(world: World, client: TestClient) -> None:
    body = _as_json(export_order("SO-A-0103"))
    first = _post_docs(client, world, body, **{"Idempotency-Key": "order-0103-try"})
    assert first.status_code == 201 and first.json()["new"] == 1
    assert "Idempotent-Replayed" not in first.headers
    replay = _post_docs(client, world, body, **{"Idempotency-Key": "order-0103-try"})
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == first.content  # byte for byte: the same inbox id, the same counts
    assert replay.json()["inbox_id"] == first.json()["inbox_id"]
    # the replay did not submit again: without the key the same body is a duplicate, not new
    assert _post_docs(client, world, body).json()["duplicates"] == 1

    other = _post_docs(client, world, _as_json(export_order("SO-A-0104")), **{"Idempotency-Key": "order-0103-try"})
    assert other.status_code == 409, other.text
    _error_shape(other.json(), "conflict")
    assert other.json()["field"] == "Idempotency-Key"
    assert client.get("/api/v1/documents", params={"q": "SO-A-0104"}, headers=_auth(world)).json()["total"] == 0


def test_idempotency_keys_belong_to_their_caller(world: World, client: TestClient) -> None:
    """Another enterprise using the same key string gets its own answer, not A's."""
    a = _post_docs(client, world, _as_json(export_order("SO-A-0105")), **{"Idempotency-Key": "shared-key"})
    doc = export_order("SO-B-0105")
    doc["head"]["ebcCode"] = "91440300MA5FKB0Q0J"
    b = _post_docs(client, world, _as_json(doc), key="b", **{"Idempotency-Key": "shared-key"})
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b.headers and b.json()["inbox_id"] != a.json()["inbox_id"]


def test_malformed_json_is_422_and_the_raw_submission_is_kept(world: World, client: TestClient) -> None:
    r = _post_docs(client, world, b'[{"type": "export_order", "head": {')
    assert r.status_code == 422, r.text
    body = r.json()
    _error_shape(body, "invalid_input")
    assert "JSON" in body["message_en"] and "JSON" in body["message_zh"]
    inbox_id = body["inbox_id"]
    report = client.get(f"/api/v1/uploads/{inbox_id}", headers=_auth(world))
    assert report.status_code == 200
    assert report.json()["status"] == "failed"
    assert report.json()["size"] == len(b'[{"type": "export_order", "head": {')
    assert report.json()["errors"][0]["error"] == "invalid_input"


def test_xml_with_a_doctype_is_hostile_input(world: World, client: TestClient) -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        b'<ceb:CEB303Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">&lol;</ceb:CEB303Message>'
    )
    r = client.post(
        "/api/v1/documents",
        content=xml,
        params={"platform": PLATFORM.code},
        headers={**_auth(world), "Content-Type": "application/xml"},
    )
    assert r.status_code == 422, r.text
    _error_shape(r.json(), "hostile_input")
    assert "DOCTYPE" in r.json()["message_en"]


def test_hostile_input_message_is_chinese_in_chinese(world: World, client: TestClient) -> None:
    xml = b'<!DOCTYPE x [<!ENTITY a "b">]><ceb:CEB303Message xmlns:ceb="http://www.chinaport.gov.cn/ceb"/>'
    r = client.post("/api/v1/documents", content=xml, headers={**_auth(world), "Content-Type": "application/xml"})
    assert r.json()["error"] == "hostile_input"
    assert not re.search(r"[A-Za-z]{4,}", r.json()["message_zh"].replace("DOCTYPE", "").replace("DTD", ""))


def test_an_empty_submission_is_refused(world: World, client: TestClient) -> None:
    r = _post_docs(client, world, b"")
    assert r.status_code == 422
    _error_shape(r.json(), "invalid_input")
    assert r.json()["field"] == "body"


# --- reading: paging, filters, detail, XML --------------------------------------------------------


def test_pagination(world: World, client: TestClient) -> None:
    everything = client.get("/api/v1/declarations", params={"page_size": 200}, headers=_auth(world)).json()
    total = everything["total"]
    assert total == len(everything["items"]) >= 7  # A's 303/505/603 and 311/411/511/621
    seen = []
    for page in (1, 2, total):
        r = client.get("/api/v1/declarations", params={"page_size": 1, "page": page}, headers=_auth(world)).json()
        assert (r["total"], r["pages"], r["page"], r["page_size"], len(r["items"])) == (total, total, page, 1, 1)
        seen.append(r["items"][0]["id"])
    assert seen == [everything["items"][i]["id"] for i in (0, 1, total - 1)]
    beyond = client.get("/api/v1/declarations", params={"page_size": 1, "page": total + 1}, headers=_auth(world))
    assert beyond.status_code == 200 and beyond.json()["items"] == []
    for bad in ({"page_size": 0}, {"page_size": 201}, {"page": 0}, {"page": "x"}):
        r = client.get("/api/v1/declarations", params=bad, headers=_auth(world))
        assert r.status_code == 422
        _error_shape(r.json(), "invalid_input")
        assert r.json()["details"][0]["field"] in ("page", "page_size")


def test_filters(world: World, client: TestClient) -> None:
    def items(**params: str) -> list[dict[str, Any]]:
        r = client.get("/api/v1/declarations", params={"page_size": 200, **params}, headers=_auth(world))
        assert r.status_code == 200
        return r.json()["items"]  # type: ignore[no-any-return]

    closed = items(status="closed")
    assert {d["message_type"] for d in closed} == {"CEB603", "CEB621"}
    assert all(d["status"] == "closed" and d["return_status"] == 899 for d in closed)
    lists = items(message_type="CEB603")
    assert [(d["order_no"], d["id"]) for d in lists] == [("SO-A-0001", world.ids["A"]["list"])]
    export = items(q="SO-A-0001")
    assert sorted(d["message_type"] for d in export) == ["CEB303", "CEB505", "CEB603"]
    assert {d["order_no"] for d in items(q="IO-A")} == {"IO-A-0001"}
    assert items(q="LP123456785CN", message_type="CEB505")[0]["logistics_no"] == "LP123456785CN"
    assert items(direction="import", message_type="CEB603") == []
    assert items(status="rejected") == []
    docs = client.get("/api/v1/documents", params={"type": "import_order"}, headers=_auth(world)).json()["items"]
    assert {d["order_no"] for d in docs} == {"IO-A-0001"}
    bad = client.get("/api/v1/documents", params={"type": "nonsense"}, headers=_auth(world))
    assert bad.status_code == 422 and bad.json()["field"] == "type"
    matches = client.get("/api/v1/matches", params={"state": "matched", "kind": "import"}, headers=_auth(world))
    assert [m["order_key"].rsplit("=", 1)[1] for m in matches.json()["items"]] == ["IO-A-0001"]


def test_declaration_detail_has_the_receipts(world: World, client: TestClient) -> None:
    r = client.get(f"/api/v1/declarations/{world.ids['A']['list']}", headers=_auth(world))
    assert r.status_code == 200
    d = r.json()
    assert (d["message_type"], d["order_no"], d["status"], d["return_status"]) == ("CEB603", "SO-A-0001", "closed", 899)
    assert [e["return_status"] for e in d["events"] if e["return_status"] is not None] == [2, 120, 800, 899]
    assert [e["after"] for e in d["events"]] == ["queued", "sent", "declaring", "stored", "released", "closed"]
    assert set(d["documents"]) == {"order", "waybill"}
    assert d["match"]["state"] == "matched"
    assert {x["message_type"] for x in d["related"]} >= {"CEB303", "CEB505"}
    assert d["message"]["filename"].startswith("CEB603_")


def test_declaration_xml_is_the_official_message(world: World, client: TestClient) -> None:
    r = client.get(f"/api/v1/declarations/{world.ids['A']['list']}/xml", headers=_auth(world))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/xml")
    assert re.match(r'attachment; filename="CEB603_.+\.xml"', r.headers["content-disposition"])
    assert b"<ceb:CEB603Message" in r.content and b"SO-A-0001" in r.content
    assert check_message(r.content) == []  # valid against the official XSD
    verify(r.content)  # and as signed (an export list carries no personal data to mask)


# --- personal data ------------------------------------------------------------------------------


def test_personal_data_is_masked_for_the_seller(world: World, alice: tuple[TestClient, str]) -> None:
    c, _ = alice
    decl = world.ids["A"]["import_list"]
    r = c.get(f"/api/v1/declarations/{decl}")
    assert r.status_code == 200
    head = r.json()["entity"]["head"]
    assert head["buyerIdNumber"] == MASKED_ID
    assert head["buyerTelephone"] == "13*******00"
    assert r.json()["documents"]["order"]["head"]["buyerIdNumber"] == MASKED_ID
    assert r.json()["documents"]["payment"]["head"]["payerIdNumber"] == MASKED_ID
    assert BUYER_ID not in r.text and "13800138000" not in r.text

    xml = c.get(f"/api/v1/declarations/{decl}/xml")
    assert xml.status_code == 200
    assert f"<ceb:buyerIdNumber>{MASKED_ID}</ceb:buyerIdNumber>".encode() in xml.content
    assert BUYER_ID.encode() not in xml.content and b"13800138000" not in xml.content
    assert check_message(xml.content) == []  # still the official structure, masked for display

    doc = c.get(f"/api/v1/documents/{world.ids['A']['document']}")
    assert doc.json()["head"]["buyerIdNumber"] == MASKED_ID and BUYER_ID not in doc.text
    page = c.get(f"/declarations/{decl}")
    assert page.status_code == 200 and MASKED_ID in page.text and BUYER_ID not in page.text


@pytest.mark.parametrize("who", ["alice", "a_key"])
def test_no_answer_to_the_seller_carries_unmasked_personal_data(world: World, who: str) -> None:
    """Every page and API answer about A's own records, declaration by declaration and
    document by document: the buyer's ID number and phone appear only masked."""
    if who == "alice":
        c, _ = world.login("alice")
    else:
        c = world.client()
        c.headers.update(_auth(world))
    ids = world.ids["A"]
    paths = [
        "/",
        "/declarations",
        "/api/v1/declarations?page_size=200",
        "/api/v1/documents?page_size=200&current=false",
        "/api/v1/matches",
        "/api/v1/tax/assessments",
        f"/api/v1/matches/{ids['match']}",
        f"/api/v1/tax/assessments/{ids['assessment']}",
    ]
    for d in c.get("/api/v1/declarations", params={"page_size": 200}).json()["items"]:
        paths += [f"{prefix}/declarations/{d['id']}{suffix}" for prefix in ("/api/v1", "") for suffix in ("", "/xml")]
    for d in c.get("/api/v1/documents", params={"page_size": 200, "current": "false"}).json()["items"]:
        paths += [f"/api/v1/documents/{d['id']}", f"/api/v1/uploads/{d['inbox_id']}"]
        paths += [f"/api/v1/uploads/{d['inbox_id']}/errors.csv", f"/uploads/{d['inbox_id']}/errors.csv"]
    assert len(paths) > 40
    for path in paths:
        r = c.get(path)
        assert r.status_code == 200, path
        for secret in (BUYER_ID, "13800138000"):
            assert secret not in r.text, f"{secret} unmasked in {path}"


def test_a_seller_may_not_open_personal_data(world: World, alice: tuple[TestClient, str]) -> None:
    c, token = alice
    decl = world.ids["A"]["import_list"]
    r = c.post(
        f"/api/v1/declarations/{decl}/personal-data", json={"reason": "customer asked"}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 403 and BUYER_ID not in r.text
    r = c.post(
        f"/api/v1/declarations/{decl}/personal-data",
        json={"reason": "customer asked"},
        headers=_auth(world),
    )
    assert r.status_code == 403 and BUYER_ID not in r.text


def test_the_operator_opens_personal_data_with_a_reason_and_it_is_recorded(
    world: World, operator: tuple[TestClient, str]
) -> None:
    c, token = operator
    decl = world.ids["A"]["import_list"]
    no_reason = c.post(f"/api/v1/declarations/{decl}/personal-data", json={}, headers={"X-CSRF-Token": token})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    short = c.post(f"/api/v1/declarations/{decl}/personal-data", json={"reason": "x"}, headers={"X-CSRF-Token": token})
    assert short.status_code == 422
    assert c.get("/api/v1/personal-data-access").json() == []  # refused openings are not openings

    reason = "海关核查 customs inquiry 2026-118"
    r = c.post(f"/api/v1/declarations/{decl}/personal-data", json={"reason": reason}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    assert r.json()["entity"]["head"]["buyerIdNumber"] == BUYER_ID
    assert r.json()["documents"]["order"]["head"]["buyerTelephone"] == "13800138000"
    log = c.get("/api/v1/personal-data-access")
    assert log.status_code == 200
    entry = log.json()[0]
    assert (entry["actor"], entry["subject"], entry["reason"]) == ("operator", f"declaration {decl}", reason)
    assert "buyerIdNumber" in entry["fields"] and entry["at"]
    # the detail stays masked for the operator too, unless opened
    assert c.get(f"/api/v1/declarations/{decl}").json()["entity"]["head"]["buyerIdNumber"] == MASKED_ID


# --- amounts --------------------------------------------------------------------------------------


def _floats(text: str) -> list[str]:
    found: list[str] = []
    json.loads(text, parse_float=lambda s: found.append(s) or 0.0)
    return found


def test_amounts_are_exact_decimal_strings(world: World, client: TestClient) -> None:
    decls = client.get("/api/v1/declarations", params={"page_size": 200}, headers=_auth(world))
    assert _floats(decls.text) == []
    export_list = next(d for d in decls.json()["items"] if d["message_type"] == "CEB603")
    assert isinstance(export_list["total_value"], str)
    assert Decimal(export_list["total_value"]) == Decimal(25)  # 2 × 12.50
    detail = client.get(f"/api/v1/declarations/{world.ids['A']['list']}", headers=_auth(world))
    assert _floats(detail.text) == []
    line = detail.json()["entity"]["lines"][0]
    assert (line["price"], Decimal(line["totalPrice"])) == ("12.50", Decimal(25))
    order = detail.json()["documents"]["order"]
    assert isinstance(order["goods_value"], str) and Decimal(order["goods_value"]) == 25
    assessment = client.get(f"/api/v1/tax/assessments/{world.ids['A']['assessment']}", headers=_auth(world))
    assert _floats(assessment.text) == []
    assert assessment.json()["taxTotal"] == "181.91"
    listed = client.get("/api/v1/tax/assessments", headers=_auth(world)).json()["items"]
    # the laptop's assessment, and the one declaring made of the import order: one 199.00 jar of
    # cream (3.98 a ml: not high-end) + 10 freight, VAT 13% at 70%: 209 × 9.1% = 19.02
    assert sorted(Decimal(a["tax_total"]) for a in listed) == [Decimal("19.02"), Decimal("181.91")]
    dashboard = client.get("/api/v1/statistics/dashboard", headers=_auth(world)).json()
    assert dashboard["by_destination"][0]["value"] == {"USD": "25"}


# --- rate limits and keys ------------------------------------------------------------------------


def test_rate_limit_gives_429_with_retry_after(world: World) -> None:
    app = create_app(world.settings.model_copy(update={"api_rate_per_minute": 60}))
    c = TestClient(app)
    statuses = [c.get("/api/v1/me", headers=_auth(world)).status_code for _ in range(6)]
    assert statuses == [200] * 6  # a burst of a tenth of a minute's rate
    r = c.get("/api/v1/me", headers=_auth(world))
    assert r.status_code == 429, r.text
    _error_shape(r.json(), "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1
    assert c.get("/api/v1/me", headers=_auth(world, "b")).status_code == 200  # one bucket per key


def test_a_revoked_key_is_refused(world: World, operator: tuple[TestClient, str]) -> None:
    c, token = operator
    issued = c.post(
        f"/api/v1/enterprises/{SELLER.code}/credentials", json={"label": "to revoke"}, headers={"X-CSRF-Token": token}
    )
    assert issued.status_code == 201, issued.text
    key, key_id = issued.json()["api_key"], issued.json()["key_id"]
    partner = world.client()
    me = partner.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["enterprise_code"] == SELLER.code
    assert partner.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200
    listed = c.get(f"/api/v1/enterprises/{SELLER.code}/credentials").json()
    assert any(k["key_id"] == key_id and k["revoked_at"] is None for k in listed)
    assert all("api_key" not in k and "secret" not in json.dumps(k) for k in listed)  # never a secret

    revoked = c.delete(f"/api/v1/credentials/{key_id}", headers={"X-CSRF-Token": token})
    assert revoked.status_code == 200 and revoked.json() == {"key_id": key_id, "revoked": True}
    r = partner.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401
    _error_shape(r.json(), "unauthenticated")
    assert any(
        k["key_id"] == key_id and k["revoked_at"]
        for k in c.get(f"/api/v1/enterprises/{SELLER.code}/credentials").json()
    )
    assert partner.get("/api/v1/me", headers=_auth(world)).status_code == 200  # A's other key still works


# --- uploads ------------------------------------------------------------------------------------


def test_upload_an_amazon_report(world: World, client: TestClient) -> None:
    r = client.post(
        "/api/v1/uploads",
        files={"file": (AMAZON.name, AMAZON.read_bytes(), "text/plain")},
        data={"platform": PLATFORM.code},
        headers=_auth(world),
    )
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["status"], report["format"]) == ("done", "amazon-orders")
    assert report["documents"] == report["new"] == 4
    assert report["by_type"] == {"export_order": 3, "order_cancel": 1}
    upload = client.get(f"/api/v1/uploads/{report['inbox_id']}", headers=_auth(world)).json()
    assert (upload["status"], upload["filename"], upload["channel"]) == ("done", AMAZON.name, "upload")
    assert upload["seller_code"] == SELLER.code and upload["stats"]["new"] == 4
    docs = client.get("/api/v1/documents", params={"type": "export_order", "page_size": 200}, headers=_auth(world))
    assert sum(1 for d in docs.json()["items"] if d["inbox_id"] == report["inbox_id"]) == 3


def test_errors_csv(world: World, client: TestClient) -> None:
    bad = _post_docs(client, world, b'[1, {"type": "export_order"}]')
    assert bad.status_code == 201 and bad.json()["row_error_count"] == 2
    r = client.get(f"/api/v1/uploads/{bad.json()['inbox_id']}/errors.csv", headers=_auth(world))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for spreadsheets
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["document 单证", "line 行", "field 字段", "code 代码", "message_zh 说明", "message_en message"]
    assert len(rows) == 3 and rows[1][0] == "item 1" and rows[1][2] == "item"
    clean = client.get(f"/api/v1/uploads/{world.ids['A']['inbox']}/errors.csv", headers=_auth(world))
    assert clean.content.startswith(b"\xef\xbb\xbf") and len(clean.content.decode("utf-8-sig").splitlines()) == 1


def _offered_formats(page: str) -> list[str]:
    select = page.split('<select name="format">', 1)[1].split("</select>", 1)[0]
    return [v or t for v, t in re.findall(r'<option(?: value="([^"]*)")?>([^<]*)</option>', select)]


def test_every_format_the_upload_page_offers_is_read(world: World, alice: tuple[TestClient, str]) -> None:
    c, token = alice
    offered = _offered_formats(c.get("/upload").text)
    assert "auto" in offered
    refused = []
    for fmt in offered:
        r = c.post(
            "/upload",
            files={"file": ("orders.json", _as_json(export_order("SO-A-0201")), "application/json")},
            data={"format": fmt, "platform": PLATFORM.code},
            headers={"X-CSRF-Token": token},
        )
        if "unknown format" in r.text:
            refused.append(fmt)
    assert refused == []


# --- signing in, CSRF, documents of the API ---------------------------------------------------------


def test_login_with_a_wrong_password_is_a_401_page(world: World) -> None:
    c = world.client()
    r = c.post("/login", data={"username": "alice", "password": "wrong-password-0"}, follow_redirects=False)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in r.text and 'action="/login"' in r.text
    assert "cbec_session" not in r.headers.get("set-cookie", "")
    unknown = c.post("/login", data={"username": "nobody", "password": "wrong-password-0"}, follow_redirects=False)
    assert unknown.status_code == 401  # the same answer whether or not the user exists
    assert c.get("/api/v1/me").status_code == 401


def test_five_failed_sign_ins_lock_the_account_for_a_while(world: World) -> None:
    """After five wrong passwords even the right one is refused (429, saying until when); once
    the lockout has passed the right password signs in and the count starts again."""
    from datetime import timedelta

    from sqlalchemy import update

    from cbec.accounts import service as accounts
    from cbec.accounts.models import UserAccount
    from cbec.accounts.schemas import UserCreate
    from cbec.orm import utcnow
    from cbec.unit_of_work import UnitOfWork

    with UnitOfWork(world.settings) as uow:
        accounts.create_user(uow.session, UserCreate(username="trudy", password="trudy-pass-2026", role="regulator"))
        uow.commit()
    c = world.client()
    wrong = [c.post("/login", data={"username": "trudy", "password": f"guess-{i}-0000"}).status_code for i in range(5)]
    assert wrong == [401] * 5
    locked = c.post("/login", data={"username": "trudy", "password": "trudy-pass-2026"}, follow_redirects=False)
    assert locked.status_code == 429 and "登录失败次数过多" in locked.text and "try again after" in locked.text
    with UnitOfWork(world.settings) as uow:  # the minute passes
        uow.session.execute(
            update(UserAccount)
            .where(UserAccount.username == "trudy")
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
        uow.commit()
    ok = c.post("/login", data={"username": "trudy", "password": "trudy-pass-2026"}, follow_redirects=False)
    assert ok.status_code == 303
    with UnitOfWork(world.settings) as uow:
        trudy = uow.session.query(UserAccount).filter_by(username="trudy").one()
        assert (trudy.failed_logins, trudy.locked_until) == (0, None)


def test_login_sets_a_session_and_returns_to_a_local_page_only(world: World) -> None:
    c = world.client()
    r = c.post(
        "/login",
        data={"username": "alice", "password": PASSWORDS["alice"], "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "cbec_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert c.get("/api/v1/me").json()["name"] == "alice"


def test_a_session_change_needs_the_csrf_token(world: World) -> None:
    c, token = world.login("alice")
    body = _as_json(export_order("SO-A-0301"))
    headers = {"Content-Type": "application/json"}
    r = c.post("/api/v1/documents", content=body, params={"platform": PLATFORM.code}, headers=headers)
    assert r.status_code == 403, r.text
    _error_shape(r.json(), "forbidden")
    assert r.json()["field"] == "csrf_token"
    wrong = c.post(
        "/api/v1/documents",
        content=body,
        params={"platform": PLATFORM.code},
        headers={**headers, "X-CSRF-Token": "x" * 43},
    )
    assert wrong.status_code == 403
    assert c.get("/api/v1/documents", params={"q": "SO-A-0301"}).json()["total"] == 0
    ok = c.post(
        "/api/v1/documents",
        content=body,
        params={"platform": PLATFORM.code},
        headers={**headers, "X-CSRF-Token": token},
    )
    assert ok.status_code == 201 and ok.json()["new"] == 1
    # a form carries it as a field instead of a header
    assert c.post("/language", data={"lang": "zh"}, follow_redirects=False).status_code == 403
    form = c.post("/language", data={"lang": "zh", "csrf_token": token}, follow_redirects=False)
    assert form.status_code == 303


def test_logout_ends_the_session(world: World) -> None:
    c, token = world.login("alice")
    assert c.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303
    assert c.get("/api/v1/me").status_code == 401
    assert (
        c.get("/profile", headers={"Accept": "text/html"}, follow_redirects=False)
        .headers["location"]
        .startswith("/login")
    )


def test_openapi_and_docs_are_served(world: World, client: TestClient) -> None:
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert {"/api/v1/documents", "/api/v1/declarations/{declaration_id}/xml", "/api/v1/uploads"} <= set(paths)
    assert not any(not p.startswith("/api/v1/") for p in paths)  # the UI pages are not API
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text.lower() and "/openapi.json" in docs.text
    assert client.get("/healthz").json() == {"status": "ok"}


# --- out-of-range input is a 4xx, never a 5xx ---------------------------------------------------------

ID_ROUTES = [
    "/api/v1/declarations/{}",
    "/api/v1/declarations/{}/xml",
    "/api/v1/documents/{}",
    "/api/v1/uploads/{}",
    "/api/v1/uploads/{}/errors.csv",
    "/api/v1/matches/{}",
    "/api/v1/tax/assessments/{}",
    "/declarations/{}",
    "/declarations/{}/xml",
    "/uploads/{}/errors.csv",
]
SQLITE_MAX_ID = 2**63 - 1


@pytest.fixture(scope="module")
def lenient(world: World) -> TestClient:
    """A client that turns an unhandled exception into the 500 a partner would get."""
    return TestClient(create_app(world.settings), raise_server_exceptions=False)


@pytest.mark.parametrize("path", ID_ROUTES)
def test_the_largest_id_is_not_found(world: World, lenient: TestClient, path: str) -> None:
    assert lenient.get(path.format(SQLITE_MAX_ID), headers=_auth(world)).status_code == 404


@pytest.mark.parametrize("path", ID_ROUTES)
def test_an_id_beyond_64_bits_is_a_4xx(world: World, lenient: TestClient, path: str) -> None:
    r = lenient.get(path.format(SQLITE_MAX_ID + 1), headers=_auth(world))
    assert r.status_code in (404, 422), f"GET {path.format(SQLITE_MAX_ID + 1)} → {r.status_code}"


@pytest.mark.parametrize("path", ["/api/v1/declarations/{}/personal-data", "/declarations/{}/personal-data"])
def test_opening_personal_data_of_an_id_beyond_64_bits_is_a_4xx(world: World, path: str) -> None:
    c, token = world.login("operator")
    lenient = TestClient(create_app(world.settings), raise_server_exceptions=False, cookies=dict(c.cookies))
    kwargs: dict[str, Any] = (
        {"json": {"reason": "range check"}} if path.startswith("/api/") else {"data": {"reason": "range check"}}
    )
    r = lenient.post(path.format(SQLITE_MAX_ID + 1), headers={"X-CSRF-Token": token}, **kwargs)
    assert r.status_code in (404, 422), r.status_code


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/declarations", {"from": "0001-01-01"}),
        ("/api/v1/declarations", {"to": "9999-12-31"}),
        ("/api/v1/declarations", {"from": "9999-12-31"}),
        ("/api/v1/statistics/dashboard", {"to": "9999-12-31"}),
        ("/api/v1/statistics/dashboard", {"from": "0001-01-01", "to": "0001-01-02"}),
        ("/", {"to": "9999-12-31"}),
        ("/declarations", {"from": "0001-01-01"}),
    ],
    ids=lambda v: v if isinstance(v, str) else "&".join(f"{k}={x}" for k, x in v.items()),
)
def test_a_date_at_the_end_of_the_calendar_is_a_4xx_or_empty(
    world: World, lenient: TestClient, path: str, params: dict[str, str]
) -> None:
    r = lenient.get(path, params=params, headers=_auth(world))
    assert r.status_code in (200, 422), f"GET {path}?{params} → {r.status_code}"


def test_dates_far_away_but_representable_are_fine(world: World, client: TestClient) -> None:
    r = client.get("/api/v1/declarations", params={"from": "1900-01-01", "to": "2999-12-31"}, headers=_auth(world))
    assert r.status_code == 200 and r.json()["total"] >= 7
    r = client.get(
        "/api/v1/statistics/dashboard", params={"from": "2999-12-01", "to": "2999-12-31"}, headers=_auth(world)
    )
    assert r.status_code == 200 and r.json()["lists"] == 0
    long = client.get(
        "/api/v1/statistics/dashboard", params={"from": "2000-01-01", "to": "2026-01-01"}, headers=_auth(world)
    )
    assert long.status_code == 422 and long.json()["field"] == "to"


# --- declaring a changed order ---------------------------------------------------------------------


def test_declaring_after_a_declared_order_changed_is_not_a_server_error(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    world = build_world(tmp_path_factory.mktemp("redeclare") / "data")
    lenient = TestClient(create_app(world.settings), raise_server_exceptions=False)
    changed = _post_docs(lenient, world, _as_json(export_order("SO-A-0001", qty="3")))
    assert (changed.status_code, changed.json()["new_versions"]) == (201, 1)
    assert changed.json()["matching"]["by_state"] == {"matched": 1}
    r = lenient.post("/api/v1/declare", json={}, headers=_auth(world))
    assert r.status_code < 500, r.text
    operator, token = world.login("operator")
    everyone = TestClient(create_app(world.settings), raise_server_exceptions=False, cookies=dict(operator.cookies))
    assert everyone.post("/api/v1/declare", json={}, headers={"X-CSRF-Token": token}).status_code < 500


def test_risk_hits_are_listed_in_scope_and_reviewed_by_the_operator(tmp_path: Path) -> None:
    """Seller A's two 3,000 CNY orders of one buyer a minute apart are held by the API's declare
    (化整为零, over the 5,000 single limit together); A sees the two hits, B none, the regulator
    none of the business data; only the operator decides, with a reason, once; the cleared order
    is then declared."""
    from tests.e2e.web_world import post_split_purchase

    world = build_world(tmp_path / "risk")
    c = world.client()
    post_split_purchase(world, "IO-RISK", 10)
    declared = c.post("/api/v1/declare", json={}, headers=_auth(world, "a")).json()
    assert declared["held_for_review"] == 2 and declared["declared"] == {}

    mine = c.get("/api/v1/risk/hits", params={"status": "open"}, headers=_auth(world, "a")).json()
    assert mine["total"] == 2 and {h["rule"] for h in mine["items"]} == {"split_purchase"}
    assert mine["items"][0]["detail"]["total"] == "6020.00" and "化整为零" in mine["items"][0]["message_zh"]
    assert c.get("/api/v1/risk/hits", params={"status": "open"}, headers=_auth(world, "b")).json()["total"] == 0
    regina, _ = world.login("regina")
    assert regina.get("/api/v1/risk/hits").status_code == 403
    assert c.get("/api/v1/risk/hits", params={"status": "pending"}, headers=_auth(world, "a")).status_code == 422

    keep, drop = (h["id"] for h in mine["items"])
    alice, alice_token = world.login("alice")
    r = alice.post(
        f"/api/v1/risk/hits/{keep}/decision",
        json={"decision": "clear", "note": "ok"},
        headers={"X-CSRF-Token": alice_token},
    )
    assert r.status_code == 403
    op, token = world.login("operator")
    csrf = {"X-CSRF-Token": token}
    assert (
        op.post(f"/api/v1/risk/hits/{keep}/decision", json={"decision": "clear", "note": ""}, headers=csrf).status_code
        == 422
    )
    r = op.post(
        f"/api/v1/risk/hits/{keep}/decision", json={"decision": "clear", "note": "two gifts / 两份礼品"}, headers=csrf
    )
    assert r.status_code == 200 and (r.json()["status"], r.json()["decided_by"]) == ("cleared", "operator")
    r = op.post(f"/api/v1/risk/hits/{drop}/decision", json={"decision": "refuse", "note": "拆单 split"}, headers=csrf)
    assert r.json()["status"] == "refused"
    again = op.post(f"/api/v1/risk/hits/{drop}/decision", json={"decision": "clear", "note": "x"}, headers=csrf)
    assert again.status_code == 422 and again.json()["error"] == "rule_violation"
    after = c.post("/api/v1/declare", json={}, headers=_auth(world, "a")).json()
    assert after["declared"]["CEB621"] == 1 and after["refused_in_review"] == 1


def test_the_risk_review_page(tmp_path: Path) -> None:
    """The operator sees the open hits with their reasons in both languages and decides on the
    page (a reason is required); the seller's clerk sees its hits without the decision form."""
    from tests.e2e.web_world import post_split_purchase

    world = build_world(tmp_path / "risk-page")
    c = world.client()
    post_split_purchase(world, "IO-PAGE", 20)
    assert c.post("/api/v1/declare", json={}, headers=_auth(world, "a")).json()["held_for_review"] == 2

    op, token = world.login("operator")
    page = op.get("/risk")
    assert page.status_code == 200 and "IO-PAGE-0" in page.text and "IO-PAGE-1" in page.text
    assert "化整为零" in page.text and "split purchase" in page.text and 'name="decision"' in page.text
    hit = int(page.text.split('id="hit-', 1)[1].split('"', 1)[0])
    no_reason = op.post(f"/risk/{hit}/decision", data={"decision": "clear", "note": " ", "csrf_token": token})
    assert no_reason.status_code == 422 and "须填写理由" in no_reason.text
    done = op.post(
        f"/risk/{hit}/decision", data={"decision": "clear", "note": "gift", "csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/risk"
    assert f'id="hit-{hit}"' not in op.get("/risk").text  # no longer open
    assert "operator: gift" in op.get("/risk", params={"status": "cleared"}).text
    alice, _ = world.login("alice")
    mine = alice.get("/risk")
    assert mine.status_code == 200 and "IO-PAGE-" in mine.text and 'name="decision"' not in mine.text
    assert alice.get("/risk", params={"status": "pending"}).status_code == 422


def test_every_answer_carries_the_security_headers(world: World) -> None:
    c = world.client()
    for path in ("/login", "/api/v1/me", "/static/app.css"):
        h = c.get(path).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"], path
        assert "script-src 'self'" in h["content-security-policy"], path
        assert (h["x-frame-options"], h["x-content-type-options"], h["referrer-policy"]) == (
            "DENY",
            "nosniff",
            "same-origin",
        )
        assert "strict-transport-security" not in h  # plain HTTP in development


def test_no_page_runs_an_inline_script(world: World) -> None:
    """CSP ``script-src 'self'`` would block an inline script: every page's scripts are files, its
    data JSON blocks (not executed)."""
    import re

    client, _ = world.login("alice")
    for path in ("/", "/declarations", "/upload", "/finance", "/catalogue", "/journey", "/submissions", "/profile"):
        page = client.get(path)
        assert page.status_code == 200, path
        for tag in re.findall(r"<script\b[^>]*>", page.text):
            assert 'src="' in tag or 'type="application/json"' in tag, (path, tag)
        assert " onclick=" not in page.text and " onchange=" not in page.text and "javascript:" not in page.text, path


def test_hsts_once_served_over_https() -> None:
    from cbec.web.app import security_headers

    assert security_headers(secure=True)["Strict-Transport-Security"].startswith("max-age=31536000")


def test_secrets_never_reach_the_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Passwords, API keys and session tokens are not in anything the platform logs, even at
    DEBUG and on failures (a wrong password, a revoked-looking key, a server-side fault)."""
    import logging

    caplog.set_level(logging.DEBUG)
    c = world.client()
    c.post("/login", data={"username": "alice", "password": "wrong-" + PASSWORDS["alice"]})
    good, _ = world.login("alice")
    good.get("/declarations")
    key = world.keys["a"]
    c.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    c.get("/api/v1/me", headers={"Authorization": f"Bearer {key}x"})
    token = good.cookies.get("cbec_session") or ""
    text = caplog.text
    for secret in (PASSWORDS["alice"], key, key.partition(".")[2], token):
        assert not secret or secret not in text
