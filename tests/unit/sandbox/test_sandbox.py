"""Sandbox customs: answers on the platform's folders, the way customs and the e-port would.

Inputs are built with the platform's own ``build`` from realistic documents (samples.py); every
file the sandbox writes is checked against the official XSD as it is read here (``Inbox``) and
again when each test ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from tests.unit.customs.samples import AT, DECLARATIONS, TRANSFER, export_list, import_list, import_order

from cbec.ceb.envelope import unwrap, wrap
from cbec.ceb.messages import (
    Entity,
    ParsedMessage,
    Receipt,
    build,
    check_message,
    is_receipt,
    parse,
    receipts,
)
from cbec.ceb.signing import SoftwareRsaSigner
from cbec.ceb.xsd import DXP_NS
from cbec.customs.rules import State, apply_receipt, apply_request_receipt
from cbec.customs.transport import FolderTransport, ready_files
from cbec.sandbox import SandboxCustoms, error_codes, retail_limit

NOW = datetime(2026, 11, 23, 12, 0, 0)


def clock() -> datetime:
    return NOW


# --- helpers --------------------------------------------------------------------------------


@dataclass
class Inbox:
    """The platform's side of ``in/``: reads what the sandbox wrote since the last look, and checks
    every file against the official XSD (inside its DxpMsg when it came wrapped)."""

    root: Path
    seen: set[str] = field(default_factory=set)
    messages: list[ParsedMessage] = field(default_factory=list)

    def new(self) -> list[ParsedMessage]:
        out = []
        for path in ready_files(self.root / "in"):  # oldest first, as the platform reads them
            if path.name in self.seen:
                continue
            self.seen.add(path.name)
            out.append(read_message(path.read_bytes()))
        self.messages += out
        return out

    def receipts(self) -> list[Receipt]:
        return [r for m in self.new() if is_receipt(m.message) for r in receipts(m)]

    def all_receipts(self) -> list[Receipt]:
        self.new()
        return [r for m in self.messages if is_receipt(m.message) for r in receipts(m)]


def read_message(data: bytes) -> ParsedMessage:
    root = etree.fromstring(data)
    if root.tag == f"{{{DXP_NS}}}DxpMsg":
        data = unwrap(data).data
    assert check_message(data) == [], check_message(data)[:3]
    return parse(data)


class Platform:
    """Sends declarations the way the platform does (FolderTransport: archive copy, atomic write)."""

    def __init__(self, root: Path) -> None:
        self.transport = FolderTransport(root)
        self.n = 0

    def send(self, message: str, entities: list[Entity], **kwargs: Any) -> list[str]:
        """Build, send, and return the entity guids (the receipts answer them)."""
        guids = []
        for built in build(message, entities, TRANSFER, at=AT, **kwargs):
            self.n += 1
            self.transport.send(f"{self.n:04d}_{message}_{built.guid}.xml", built.data)
            guids += [str(e.head["guid"]) for e in built.entities]
        return guids

    def send_raw(self, name: str, data: bytes) -> None:
        self.n += 1
        self.transport.send(f"{self.n:04d}_{name}", data)


@dataclass
class World:
    root: Path
    platform: Platform
    inbox: Inbox
    sandbox: SandboxCustoms


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    root = tmp_path / "messages"
    sandbox = SandboxCustoms(root, seed=7, clock=clock)
    w = World(root, Platform(root), Inbox(root), sandbox)
    yield w
    sandbox.close()
    for path in (root / "in").glob("*.xml"):  # every file the sandbox wrote validates
        read_message(path.read_bytes())


def answers(inbox: Inbox, guid: str) -> list[Receipt]:
    return [r for r in inbox.all_receipts() if r.guid == guid]


def statuses(inbox: Inbox, guid: str) -> list[str]:
    return [r.returnStatus for r in answers(inbox, guid)]


def walk(w: World, guid: str, steps: int) -> list[list[str]]:
    """The statuses the declaration ``guid`` receives in each of ``steps`` steps."""
    out = []
    for _ in range(steps):
        w.sandbox.step()
        out.append([r.returnStatus for r in w.inbox.receipts() if r.guid == guid])
    return out


def import_set(
    n: int, *, goods: D, freight: D = D("0"), year: int = 2026, lines: int = 1, qty: D = D("2")
) -> dict[str, Entity]:
    """Order, payment, waybill and list of one direct-purchase import (9610) for the same buyer."""
    order_no, logistics_no = f"IO{year}{n:06d}", f"YT{year}{n:09d}"
    price = goods / (qty * lines)
    order = import_order()
    order_head = {
        **order.head,
        "orderNo": order_no,
        "appTime": f"{year}0315103000",
        "goodsValue": goods,
        "freight": freight,
        "taxTotal": D("0"),
        "discount": D("0"),
        "acturalPaid": goods + freight,
    }
    order_lines = tuple(
        {**order.lines[0], "gnum": g, "qty": qty, "price": price, "totalPrice": qty * price}
        for g in range(1, lines + 1)
    )
    payment = DECLARATIONS["CEB411"][0]
    waybill = DECLARATIONS["CEB511"][0]
    listing = import_list("9610")
    list_lines = tuple(
        {**listing.lines[0], "gnum": g, "qty": qty, "price": price, "totalPrice": qty * price}
        for g in range(1, lines + 1)
    )
    return {
        "CEB311": Entity(order_head, order_lines),
        "CEB411": Entity(
            {
                **payment.head,
                "orderNo": order_no,
                "payTransactionId": f"PAY{year}{n:06d}",
                "amountPaid": goods + freight,
            }
        ),
        "CEB511": Entity({**waybill.head, "orderNo": order_no, "logisticsNo": logistics_no, "freight": freight}),
        "CEB621": Entity(
            {
                **listing.head,
                "orderNo": order_no,
                "logisticsNo": logistics_no,
                "copNo": f"CI{year}{n:06d}",
                "freight": freight,
            },
            list_lines,
        ),
    }


def declare_import(w: World, docs: dict[str, Entity], *, only: tuple[str, ...] = ()) -> dict[str, str]:
    return {code: w.platform.send(code, [e])[0] for code, e in docs.items() if not only or code in only}


def cancel_623(invt_no: str, n: int = 1) -> Entity:
    head = import_list("9610").head
    keys = ("customsCode", "orderNo", "ebpCode", "ebpName", "ebcCode", "ebcName", "logisticsNo", "logisticsCode",
            "logisticsName", "buyerIdType", "buyerIdNumber", "buyerName", "buyerTelephone", "agentCode", "agentName")  # fmt: skip
    return Entity({**{k: head[k] for k in keys}, "copNo": f"CANCEL{n:04d}", "invtNo": invt_no, "reason": "订单取消"})


# --- the folders --------------------------------------------------------------------------------


def test_files_are_moved_to_processed_never_deleted_and_part_files_are_left_alone(world: World) -> None:
    w = world
    sent = [*w.platform.send("CEB303", DECLARATIONS["CEB303"]), *w.platform.send("CEB505", DECLARATIONS["CEB505"])]
    originals = {p.name: p.read_bytes() for p in (w.root / "out").iterdir()}
    partial = w.root / "out" / "0099_CEB603_half-written.xml.part"
    partial.write_bytes(b"<ceb:CEB603Message")

    report = w.sandbox.step()

    assert report.files_read == 2
    processed = {p.name: p.read_bytes() for p in (w.root / "sandbox" / "processed" / "20261123").iterdir()}
    assert processed == originals  # moved as they were, under the day's folder
    assert [p.name for p in (w.root / "out").iterdir()] == [partial.name]  # only the .part file is left
    assert partial.read_bytes() == b"<ceb:CEB603Message"
    assert [statuses(w.inbox, g) for g in sent] == [["2"], ["2"]]
    assert not list((w.root / "in").glob("*.part"))  # receipts are written atomically

    w.sandbox.step()
    assert partial.exists() and len(list((w.root / "sandbox" / "processed").rglob("*.xml"))) == 2


def test_state_lives_in_its_own_sqlite_file_and_survives_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "messages"
    platform, inbox = Platform(root), Inbox(root)
    with SandboxCustoms(root, seed=1, clock=clock) as sandbox:
        [guid] = platform.send("CEB303", DECLARATIONS["CEB303"])
        sandbox.step()
    assert (root / "sandbox" / "state.sqlite3").is_file()
    with SandboxCustoms(root, seed=1, clock=clock) as again:  # a new process: the walk goes on
        again.step()
        assert statuses(inbox, guid) == ["2", "120"]
        [second] = platform.send("CEB303", DECLARATIONS["CEB303"])  # and customs still knows the order
        again.step()
        assert statuses(inbox, second) == ["-301010"]


# --- format and schema ------------------------------------------------------------------------


def test_a_message_failing_the_xsd_is_answered_with_a_ceb900(world: World) -> None:
    w = world
    [built] = build("CEB311", [import_order()], TRANSFER, at=AT)
    broken = built.data.replace(
        b"<ceb:orderNo>IO202611230001</ceb:orderNo>", b"<ceb:orderNo>" + b"X" * 61 + b"</ceb:orderNo>"
    )
    w.platform.send_raw("CEB311_broken.xml", broken)

    report = w.sandbox.step()

    assert report.ceb900 == 1 and report.receipts == {"CEB900": {"-2": 1}}
    [answer] = w.inbox.new()
    assert answer.message == "CEB900"
    head = answer.entities[0].head
    assert head["returnStatus"] == "-2" and "XSD" in head["returnInfo"] and "orderNo" in head["returnInfo"]
    assert head["oriMessageType"] == "CEB311Message"
    assert head["oriCopMsgId"] == built.guid
    assert head["oriBizMessage"] == broken.decode("utf-8")  # the original echoed, in CDATA
    assert head["returnTime"] == "20261123120000000"
    assert b"<![CDATA[" in next((w.root / "in").glob("CEB900_*")).read_bytes()


def test_a_file_that_is_not_xml_is_answered_with_a_ceb900_naming_an_unknown_type(world: World) -> None:
    w = world
    w.platform.send_raw("garbage.xml", b"\x00\x01 this is not <xml")
    w.platform.send_raw("doctype.xml", b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')  # refused, never expanded
    w.sandbox.step()
    answers_ = w.inbox.new()
    assert [a.message for a in answers_] == ["CEB900", "CEB900"]
    for answer in answers_:
        head = answer.entities[0].head
        assert head["returnStatus"] == "-1" and head["oriMessageType"] == "Unknown"
    assert error_codes()[-1].is_official is False


def test_a_receipt_dropped_into_out_is_not_a_declaration(world: World) -> None:
    w = world
    w.platform.send_raw(
        "CEB312.xml",
        b'<?xml version="1.0" encoding="UTF-8"?><CEB312Message xmlns="http://www.chinaport.gov.cn/ceb" '
        b'guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0"><OrderReturn>'
        b"<guid>4CDE1CFD-EDED-46B1-946C-B8022E42FC94</guid><ebpCode>1105910159</ebpCode><ebcCode>1105910159</ebcCode>"
        b"<orderNo>o1</orderNo><returnStatus>2</returnStatus><returnTime>20160428182238000</returnTime>"
        b"<returnInfo>x</returnInfo></OrderReturn></CEB312Message>",
    )
    w.sandbox.step()
    [answer] = w.inbox.new()
    assert answer.message == "CEB900" and answer.entities[0].head["returnStatus"] == "-3"
    assert answer.entities[0].head["oriMessageType"] == "CEB312Message"


def test_a_dxpmsg_is_unwrapped_and_answered_in_a_dxpmsg(world: World) -> None:
    w = world
    [built] = build("CEB303", DECLARATIONS["CEB303"], TRANSFER, at=AT)
    w.platform.send_raw("CEB303.dxp.xml", wrap(built.data, sender_id="DXPENT0000000001", created_at=AT))
    w.sandbox.step()
    [path] = (w.root / "in").glob("*.xml")
    envelope = unwrap(path.read_bytes())
    assert envelope.sender_id == "DXPEDCCEB0000003" and envelope.receiver_ids == ("DXPENT0000000001",)
    assert envelope.msg_type == "CEB304Message"
    [receipt] = w.inbox.receipts()
    assert receipt.guid == built.entities[0].head["guid"] and receipt.returnStatus == "2"


def test_a_message_whose_signature_does_not_verify_is_refused(world: World) -> None:
    w = world
    signer = SoftwareRsaSigner.generate("cbec sandbox test", not_before=datetime(2026, 1, 1))
    order = DECLARATIONS["CEB303"][0]
    [built] = build("CEB303", [order], TRANSFER, at=AT, signer=signer)
    tampered = built.data.replace(b"EO202611230001", b"EO202611230009")  # changed after signing
    w.platform.send_raw("CEB303_signed.xml", tampered)
    [good] = build("CEB303", [Entity({**order.head, "orderNo": "EO2"}, order.lines)], TRANSFER, at=AT, signer=signer)
    w.platform.send_raw("CEB303_good.xml", good.data)
    w.sandbox.step()
    by_order = {r.keys["orderNo"]: r for r in w.inbox.receipts()}
    assert by_order["EO202611230009"].returnStatus == "-621029"
    assert by_order["EO2"].returnStatus == "2"


# --- duplicates and references ----------------------------------------------------------------


def test_a_duplicate_order_gets_the_official_code(world: World) -> None:
    w = world
    [first] = w.platform.send("CEB303", DECLARATIONS["CEB303"])
    w.sandbox.step()
    [again] = w.platform.send("CEB303", DECLARATIONS["CEB303"])  # same ebpCode + orderNo, new guid
    w.sandbox.step()
    assert statuses(w.inbox, first) == ["2", "120"]
    [receipt] = answers(w.inbox, again)
    assert receipt.returnStatus == "-301010" and "EO202611230001" in receipt.returnInfo
    assert receipt.message == "CEB304" and receipt.keys["orderNo"] == "EO202611230001"


def test_duplicates_of_payments_waybills_and_lists(world: World) -> None:
    w = world
    docs = import_set(1, goods=D("100"))
    declare_import(w, docs)
    w.sandbox.step()
    again = declare_import(w, docs)
    w.sandbox.step()
    assert statuses(w.inbox, again["CEB411"]) == ["-401007"]
    assert statuses(w.inbox, again["CEB511"]) == ["-504012"]
    assert statuses(w.inbox, again["CEB621"]) == ["-621004"]
    assert {c.code for c in error_codes().values() if c.is_official} >= {-301010, -401007, -504012, -621004}


def test_a_list_before_its_order_is_refused_naming_the_order(world: World) -> None:
    w = world
    docs = import_set(1, goods=D("100"))
    sent = declare_import(w, docs, only=("CEB511", "CEB621"))  # the waybill is there, the order is not
    w.sandbox.step()
    [refused] = answers(w.inbox, sent["CEB621"])
    assert refused.returnStatus == "100"
    assert "电子订单" in refused.returnInfo and "IO2026000001" in refused.returnInfo
    assert "物流运单" not in refused.returnInfo
    assert refused.keys["copNo"] == "CI2026000001" and re.fullmatch(r"B20261123\d{9}", refused.keys["preNo"])

    declare_import(w, docs, only=("CEB311",))  # once the order is in, the same list is accepted
    resent = declare_import(w, docs, only=("CEB621",))
    w.sandbox.step()
    assert statuses(w.inbox, resent["CEB621"]) == ["2"]


def test_a_cancellation_of_an_unknown_list_is_refused(world: World) -> None:
    w = world
    [guid] = w.platform.send("CEB623", [cancel_623("299120261000000001")])
    w.sandbox.step()
    [receipt] = answers(w.inbox, guid)
    assert receipt.returnStatus == "100" and "299120261000000001" in receipt.returnInfo


# --- customs' matching checks ------------------------------------------------------------------


def test_an_import_order_whose_paid_amount_does_not_add_up_is_refused(world: World) -> None:
    w = world
    docs = import_set(1, goods=D("100"), freight=D("10"))
    order = docs["CEB311"]
    [guid] = w.platform.send("CEB311", [Entity({**order.head, "acturalPaid": D("100")}, order.lines)])
    w.sandbox.step()
    [receipt] = answers(w.inbox, guid)
    assert receipt.returnStatus == "100" and "实际支付金额" in receipt.returnInfo


def test_a_list_is_matched_against_its_order_payment_and_waybill(world: World) -> None:
    w = world
    docs = import_set(1, goods=D("100"))
    docs["CEB411"] = Entity({**docs["CEB411"].head, "amountPaid": D("99")})
    docs["CEB511"] = Entity({**docs["CEB511"].head, "consignee": "李四"})
    listing = docs["CEB621"]
    bad_line = {**listing.lines[0], "totalPrice": D("101")}
    docs["CEB621"] = Entity({**listing.head, "ebcCode": "3301969999"}, (bad_line,))
    sent = declare_import(w, docs)
    w.sandbox.step()
    [receipt] = answers(w.inbox, sent["CEB621"])
    assert receipt.returnStatus == "100"
    for reason in ("电商企业", "总价", "支付金额", "运单收货人"):
        assert reason in receipt.returnInfo


def test_a_repeated_gnum_in_a_list_gets_the_official_code(world: World) -> None:
    w = world
    docs = import_set(1, goods=D("100"), lines=2)
    listing = docs["CEB621"]
    docs["CEB621"] = Entity(listing.head, (listing.lines[0], {**listing.lines[1], "gnum": 1}))
    sent = declare_import(w, docs)
    w.sandbox.step()
    assert statuses(w.inbox, sent["CEB621"]) == ["-621027"]


# --- status walks -----------------------------------------------------------------------------


def test_export_9610_walks_2_120_800_899_with_an_official_invt_no(world: World) -> None:
    w = world
    [order] = w.platform.send("CEB303", DECLARATIONS["CEB303"])
    [waybill] = w.platform.send("CEB505", DECLARATIONS["CEB505"])
    [listing] = w.platform.send("CEB603", [export_list("9610")])

    assert walk(w, listing, 5) == [["2"], ["120"], ["800"], ["899"], []]
    assert statuses(w.inbox, order) == statuses(w.inbox, waybill) == ["2", "120"]
    stored, released, closed = answers(w.inbox, listing)[1:]
    invt_no = stored.keys["invtNo"]
    assert re.fullmatch(r"2991" r"2026" r"E" r"\d{9}", invt_no)  # office + year + I/E + serial: 18
    assert released.keys["invtNo"] == closed.keys["invtNo"] == invt_no
    assert re.fullmatch(r"B20261123\d{9}", stored.keys["preNo"])
    assert answers(w.inbox, listing)[0].keys["invtNo"] == ""  # customs assigns it at 120
    assert "新增申报成功" in answers(w.inbox, listing)[0].returnInfo
    assert w.sandbox.step().is_idle


def test_inspection_comes_before_release(tmp_path: Path) -> None:
    root = tmp_path / "messages"
    platform, inbox = Platform(root), Inbox(root)
    with SandboxCustoms(root, seed=3, inspection_rate=1.0, clock=clock) as sandbox:
        platform.send("CEB303", DECLARATIONS["CEB303"])
        platform.send("CEB505", DECLARATIONS["CEB505"])
        [listing] = platform.send("CEB603", [export_list("9610")])
        sandbox.run_until_idle()
    assert statuses(inbox, listing) == ["2", "120", "500", "800", "899"]


def test_import_list_walk_and_the_invt_no_for_import(world: World) -> None:
    w = world
    sent = declare_import(w, import_set(1, goods=D("1000")))
    w.sandbox.run_until_idle()
    assert statuses(w.inbox, sent["CEB621"]) == ["2", "120", "800", "899"]
    for code in ("CEB311", "CEB411", "CEB511"):
        assert statuses(w.inbox, sent[code]) == ["2", "120"]
    invt_no = answers(w.inbox, sent["CEB621"])[1].keys["invtNo"]
    assert re.fullmatch(r"29912026I\d{9}", invt_no) and len(invt_no) == 18


def test_a_cancelled_released_list_is_void(world: World) -> None:
    w = world
    sent = declare_import(w, import_set(1, goods=D("1000")))
    assert walk(w, sent["CEB621"], 3) == [["2"], ["120"], ["800"]]
    invt_no = answers(w.inbox, sent["CEB621"])[1].keys["invtNo"]
    [cancel] = w.platform.send("CEB623", [cancel_623(invt_no)])  # sent on seeing the release
    w.sandbox.run_until_idle()
    cancelled = answers(w.inbox, cancel)
    assert [r.returnStatus for r in cancelled] == ["2", "399"] and cancelled[-1].keys["invtNo"] == invt_no
    assert statuses(w.inbox, sent["CEB621"]) == ["2", "120", "800"]  # no 899: the list is void
    [again] = w.platform.send("CEB623", [cancel_623(invt_no, 2)])
    w.sandbox.step()
    assert statuses(w.inbox, again) == ["100"]


# --- retail import limits (财关税〔2018〕49号) ----------------------------------------------------


def test_an_import_order_over_5000_is_refused(world: World) -> None:
    w = world
    sent = declare_import(w, import_set(1, goods=D("5000"), freight=D("0.01")))
    w.sandbox.step()
    [receipt] = answers(w.inbox, sent["CEB621"])
    assert receipt.returnStatus == "-621005" and "5000" in receipt.returnInfo


def test_the_sample_order_of_19000_is_over_the_single_limit(world: World) -> None:
    w = world
    for code in ("CEB311", "CEB411", "CEB511"):
        w.platform.send(code, DECLARATIONS[code])
    [listing] = w.platform.send("CEB621", [import_list("9610")])
    w.sandbox.step()
    assert statuses(w.inbox, listing) == ["-621005"]


def test_one_single_item_over_5000_may_still_clear_and_counts_toward_the_year(world: World) -> None:
    w = world
    single = declare_import(w, import_set(1, goods=D("6000"), qty=D("1")))  # one item: 49号 art. 2
    w.sandbox.step()
    assert statuses(w.inbox, single["CEB621"]) == ["2"]
    more = [declare_import(w, import_set(n, goods=D("4000"))) for n in range(2, 7)]  # 6,000 + 5 × 4,000 = 26,000
    last = declare_import(w, import_set(7, goods=D("1"), qty=D("1")))
    w.sandbox.step()
    assert [statuses(w.inbox, m["CEB621"]) for m in more] == [["2"]] * 5  # exactly 26,000 is allowed
    assert statuses(w.inbox, last["CEB621"]) == ["-621018"]


def test_a_buyers_year_over_26000_is_refused_on_the_crossing_order_and_a_new_year_is_fresh(world: World) -> None:
    w = world
    results = []
    for n in range(1, 7):  # 6 × 4,500: the sixth brings the year to 27,000
        sent = declare_import(w, import_set(n, goods=D("4000"), freight=D("500")))
        w.sandbox.step()
        results.append(answers(w.inbox, sent["CEB621"])[0])
    assert [r.returnStatus for r in results] == ["2", "2", "2", "2", "2", "-621018"]
    assert "22500" in results[-1].returnInfo and "27000" in results[-1].returnInfo

    fresh = declare_import(w, import_set(7, goods=D("4000"), freight=D("500"), year=2027))
    w.sandbox.step()
    assert statuses(w.inbox, fresh["CEB621"]) == ["2"]  # the order's appTime is in 2027


def test_a_cancelled_list_gives_its_amount_back_to_the_year(world: World) -> None:
    w = world
    lists = []
    for n in range(1, 6):  # 5 × 5,000 = 25,000 counted
        lists.append(declare_import(w, import_set(n, goods=D("5000")))["CEB621"])
        w.sandbox.step()
    crossing = import_set(6, goods=D("2000"))
    first = declare_import(w, crossing)["CEB621"]
    w.sandbox.step()  # the last list gets its invtNo in this step
    assert statuses(w.inbox, first) == ["-621018"]

    invt_no = answers(w.inbox, lists[-1])[1].keys["invtNo"]
    [cancel] = w.platform.send("CEB623", [cancel_623(invt_no)])
    w.sandbox.step()
    w.sandbox.step()
    assert statuses(w.inbox, cancel) == ["2", "399"]
    assert statuses(w.inbox, lists[-1]) == ["2", "120"]  # frozen by the cancellation, then void

    [again] = w.platform.send("CEB621", [crossing["CEB621"]])  # 20,000 + 2,000
    w.sandbox.step()
    assert statuses(w.inbox, again) == ["2"]


def test_limits_rule() -> None:
    on = date(2026, 11, 23)
    assert retail_limit(D(5000), is_single_item=False, year_total=D(0), on=on) is None
    assert retail_limit(D("5000.01"), is_single_item=False, year_total=D(0), on=on) is not None
    assert retail_limit(D("2000"), is_single_item=False, year_total=D(24000), on=on) is None  # exactly 26,000
    code, _ = retail_limit(D("3000"), is_single_item=False, year_total=D("24000"), on=on) or (0, "")
    assert code == -621018


def refund_625(invt_no: str, docs: dict[str, Entity], qty: D) -> Entity:
    listing = docs["CEB621"]
    keys = ("customsCode", "orderNo", "ebpCode", "ebpName", "ebcCode", "ebcName", "logisticsNo", "logisticsCode",
            "logisticsName", "buyerIdType", "buyerIdNumber", "buyerName", "buyerTelephone", "agentCode", "agentName")  # fmt: skip
    line = listing.lines[0]
    return Entity(
        {**{k: listing.head[k] for k in keys}, "copNo": "RET0001", "invtNo": invt_no, "reason": "商品破损退货"},
        ({"gnum": 1, "gcode": line["gcode"], "gname": line["gname"], "qty": qty, "unit": line["unit"]},),
    )


def test_an_import_return_walks_to_399_and_gives_the_returned_goods_back_to_the_year(world: World) -> None:
    w = world
    first = import_set(1, goods=D("5000"))  # 2 × 2,500
    sent = declare_import(w, first)
    w.sandbox.run_until_idle()
    invt_no = answers(w.inbox, sent["CEB621"])[-1].keys["invtNo"]
    [refund] = w.platform.send("CEB625", [refund_625(invt_no, first, D("1"))])
    w.sandbox.run_until_idle()
    assert statuses(w.inbox, refund) == ["2", "120", "399"]
    assert answers(w.inbox, refund)[-1].keys["invtNo"] == invt_no

    later = [declare_import(w, import_set(n, goods=D("5000"))) for n in range(2, 6)]  # 2,500 + 20,000
    exact = declare_import(w, import_set(6, goods=D("3500")))  # = 26,000 only because 2,500 came back
    over = declare_import(w, import_set(7, goods=D("1"), qty=D("1")))
    w.sandbox.step()
    assert [statuses(w.inbox, d["CEB621"])[0] for d in [*later, exact, over]] == ["2"] * 5 + ["-621018"]

    again = refund_625(invt_no, first, D("1"))
    [twice] = w.platform.send("CEB625", [Entity({**again.head, "copNo": "RET2"}, again.lines)])
    w.sandbox.step()
    assert statuses(w.inbox, twice)[0] == "100"  # the list was returned already


def test_an_export_return_of_a_released_list_walks_to_800(world: World) -> None:
    w = world
    w.platform.send("CEB303", DECLARATIONS["CEB303"])
    w.platform.send("CEB505", DECLARATIONS["CEB505"])
    [listing] = w.platform.send("CEB603", [export_list("9610")])
    w.sandbox.run_until_idle()
    invt_no = answers(w.inbox, listing)[-1].keys["invtNo"]
    ret = DECLARATIONS["CEB213"][0]
    too_many = {**ret.lines[0], "qty": D("3")}  # the list declared 2
    [refused] = w.platform.send("CEB213", [Entity({**ret.head, "invtNo": invt_no, "coElNo": "R1"}, (too_many,))])
    [accepted] = w.platform.send("CEB213", [Entity({**ret.head, "invtNo": invt_no, "coElNo": "R2"}, ret.lines)])
    w.sandbox.run_until_idle()
    assert statuses(w.inbox, refused) == ["100"] and "超过原清单数量" in answers(w.inbox, refused)[0].returnInfo
    assert statuses(w.inbox, accepted) == ["2", "120", "800"]


def test_a_site_entry_gets_its_entry_number(world: World) -> None:
    w = world
    [guid] = w.platform.send("CEB711", DECLARATIONS["CEB711"])
    w.sandbox.run_until_idle()
    accepted, stored = answers(w.inbox, guid)
    assert (accepted.returnStatus, stored.returnStatus) == ("2", "120")
    assert re.fullmatch(r"299120261123\d{6}", stored.keys["rkdNo"]) and re.fullmatch(
        r"R20261123\d{9}", stored.keys["preNo"]
    )


def test_the_walks_move_the_platforms_declarations_forward_to_their_end(world: World) -> None:
    """The statuses the sandbox sends are ones the platform's lifecycle understands, in order."""
    w = world
    sent = declare_import(w, import_set(1, goods=D("1000")))
    w.sandbox.run_until_idle()
    for code, end in (("CEB311", State.STORED), ("CEB621", State.CLOSED)):
        state = State.SENT
        for status in statuses(w.inbox, sent[code]):
            step = apply_receipt(state, int(status))
            assert step.changed
            state = step.after
        assert state is end
    assert apply_request_receipt(State.CANCEL_REQUESTED, 399).after is State.CANCELLED


# --- summary ------------------------------------------------------------------------------------


def test_a_summary_is_answered_with_a_sum_no_and_then_a_summary_result(world: World) -> None:
    w = world
    w.platform.send("CEB303", DECLARATIONS["CEB303"])
    w.platform.send("CEB505", DECLARATIONS["CEB505"])
    listing = export_list("9610")
    [list_guid] = w.platform.send("CEB603", [Entity({**listing.head, "statisticsFlag": "B"}, listing.lines)])
    w.sandbox.run_until_idle()
    invt_no = answers(w.inbox, list_guid)[-1].keys["invtNo"]

    summary = DECLARATIONS["CEB701"][0]
    [guid] = w.platform.send("CEB701", [Entity(summary.head, ({"invtNo": invt_no},))])
    w.sandbox.run_until_idle()
    [accepted, stored] = answers(w.inbox, guid)
    assert (accepted.returnStatus, stored.returnStatus) == ("2", "120")
    sum_no = stored.keys["sumNo"]
    assert re.fullmatch(r"S20261123\d{9}", sum_no)
    [result] = [m for m in w.inbox.messages if m.message == "CEB792"]
    head, lines = result.entities[0].head, result.entities[0].lines
    assert head["sumNo"] == sum_no and re.fullmatch(r"299120261\d{9}", head["entryId"])
    assert [(ln["invtNo"], ln["gnum"], ln["gseqno"], ln["gcode"]) for ln in lines] == [(invt_no, 1, 1, "6912001000")]

    [twice] = w.platform.send("CEB701", [Entity({**summary.head, "copNo": "SUM2"}, ({"invtNo": invt_no},))])
    w.sandbox.step()
    [refused] = answers(w.inbox, twice)
    assert refused.returnStatus == "100" and "已汇总" in refused.returnInfo


def test_a_summary_by_period_takes_the_released_lists_and_ignores_the_body(world: World) -> None:
    w = world
    w.platform.send("CEB303", DECLARATIONS["CEB303"])
    w.platform.send("CEB505", DECLARATIONS["CEB505"])
    listing = export_list("9610")
    [list_guid] = w.platform.send("CEB603", [Entity({**listing.head, "statisticsFlag": "B"}, listing.lines)])
    w.sandbox.run_until_idle()
    invt_no = answers(w.inbox, list_guid)[-1].keys["invtNo"]
    head = {**DECLARATIONS["CEB701"][0].head, "startTime": "20261101000000", "endTime": "20261130235959"}
    [guid] = w.platform.send("CEB701", [Entity(head, ({"invtNo": "29912026E999999999"},))])
    w.sandbox.run_until_idle()
    assert statuses(w.inbox, guid) == ["2", "120"]
    [result] = [m for m in w.inbox.messages if m.message == "CEB792"]
    assert [ln["invtNo"] for ln in result.entities[0].lines] == [invt_no]


# --- determinism ------------------------------------------------------------------------------


def _run(root: Path, seed: int) -> dict[str, bytes]:
    platform = Platform(root)
    with SandboxCustoms(root, seed=seed, inspection_rate=0.5, clock=clock) as sandbox:
        guids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 1000))
        for code in ("CEB303", "CEB505"):
            platform.send(code, DECLARATIONS[code], guid_factory=lambda: next(guids))
        for n in range(3):
            head = {**export_list("9610").head, "copNo": f"INV{n}"}
            platform.send("CEB603", [Entity(head, export_list("9610").lines)], guid_factory=lambda: next(guids))
        platform.send_raw("junk.xml", b"not xml")
        sandbox.run_until_idle()
    out = {p.name: p.read_bytes() for p in sorted((root / "in").iterdir())}
    for data in out.values():
        read_message(data)  # valid against the XSD
    return out


def test_same_files_same_seed_same_clock_give_identical_receipts(tmp_path: Path) -> None:
    first, second = _run(tmp_path / "a", seed=11), _run(tmp_path / "b", seed=11)
    assert first == second and len(first) > 5
    other = _run(tmp_path / "c", seed=12)
    assert other.keys() != first.keys()  # receipt guids come from the seed


def test_the_report_counts_files_receipts_and_ceb900s(world: World) -> None:
    w = world
    w.platform.send("CEB303", DECLARATIONS["CEB303"])
    w.platform.send_raw("junk.xml", b"junk")
    report = w.sandbox.step()
    assert report.as_dict() | {"pending": 0} == {
        "steps": 1,
        "files_read": 2,
        "receipt_files": 2,
        "receipts": {"CEB304": {"2": 1}, "CEB900": {"-1": 1}},
        "ceb900": 1,
        "summary_results": 0,
        "advanced": 0,
        "pending": 0,
    }
    total = w.sandbox.run_until_idle()
    assert total.receipts == {"CEB304": {"120": 1}} and total.pending == 0


def test_every_declaration_of_the_standard_gets_a_valid_receipt(world: World) -> None:
    w = world
    for code in ("CEB303", "CEB403", "CEB505", "CEB507", "CEB509", "CEB607", "CEB213", "CEB215", "CEB311", "CEB411",
                 "CEB511", "CEB513", "CEB625", "CEB711", "CEB605"):  # fmt: skip
        w.platform.send(code, DECLARATIONS[code])
    w.sandbox.run_until_idle()
    got = {m.message for m in w.inbox.new()}
    assert got >= {"CEB304", "CEB404", "CEB506", "CEB508", "CEB510", "CEB608", "CEB214", "CEB216", "CEB312",
                   "CEB412", "CEB512", "CEB514", "CEB626", "CEB712", "CEB606"}  # fmt: skip
