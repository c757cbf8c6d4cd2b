"""The sandbox's faster paths (issue 22 item 6) give what the plain ones gave: the compiled reader
reads what the generic reader reads; receipts written as text are the bytes lxml wrote; a share
of receipt checks below 1 still writes receipts valid against the official XSD; the set-based
store leaves the same state, rowids included, as one statement at a time."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from tests.unit.customs.samples import AT, DECLARATIONS, TRANSFER, export_list
from tests.unit.sandbox.test_sandbox import NOW, Platform, cancel_623, clock, import_set

from cbec.ceb.messages import RECEIPT_FOR, Entity, build, layout_of, parse
from cbec.ceb.messages.compiled import parse_compiled
from cbec.ceb.schema import schema_dir
from cbec.ceb.signing import SoftwareRsaSigner
from cbec.ceb.xsd import CEB_NS
from cbec.errors import InvalidInput
from cbec.sandbox import SandboxCustoms, receipts
from cbec.sandbox.repository import Store
from cbec.sandbox.schemas import Doc

# --- the compiled reader ------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(DECLARATIONS))
def test_the_compiled_reader_reads_what_the_generic_reader_reads(code: str) -> None:
    for built in build(code, DECLARATIONS[code], TRANSFER, at=AT):
        assert parse_compiled(built.data, document="f.xml") == parse(built.data, document="f.xml")


def test_a_signed_message_reads_the_same() -> None:
    signer = SoftwareRsaSigner.generate("cbec sandbox test", not_before=datetime(2026, 1, 1))
    [built] = build("CEB303", DECLARATIONS["CEB303"][:1], TRANSFER, at=AT, signer=signer)
    compiled = parse_compiled(built.data)
    assert compiled == parse(built.data) and compiled.is_signed


def _odd_order() -> bytes:
    data = build("CEB311", [import_set(1, goods=D("100"))["CEB311"]], TRANSFER, at=AT)[0].data
    root = etree.fromstring(data)
    head = root.find(f"{{{CEB_NS}}}Order/{{{CEB_NS}}}OrderHead")
    assert head is not None
    head.append(etree.Comment("a comment is not a field"))
    etree.SubElement(head, "{urn:other}orderNo").text = "OTHER"  # another namespace, the same local name
    etree.SubElement(head, f"{{{CEB_NS}}}notInTheXsd").text = " kept as text "
    nested = etree.SubElement(head, f"{{{CEB_NS}}}note")
    etree.SubElement(nested, f"{{{CEB_NS}}}inner").text = "x"
    return etree.tostring(root)


def test_fields_the_layout_does_not_know_go_the_generic_way() -> None:
    data = _odd_order()
    compiled, generic = parse_compiled(data), parse(data)
    assert compiled == generic
    assert (
        compiled.entities[0].head["orderNo"] == "OTHER" and compiled.entities[0].head["notInTheXsd"] == " kept as text "
    )


def test_a_bad_number_is_the_same_error() -> None:
    data = build("CEB311", [import_set(1, goods=D("100"))["CEB311"]], TRANSFER, at=AT)[0].data
    bad = data.replace(b"<ceb:qty>2</ceb:qty>", b"<ceb:qty>two</ceb:qty>", 1)
    assert bad != data
    with pytest.raises(InvalidInput) as generic:
        parse(bad, document="f.xml")
    with pytest.raises(InvalidInput) as compiled:
        parse_compiled(bad, document="f.xml")
    assert str(compiled.value) == str(generic.value) and compiled.value.field == generic.value.field


# --- receipts as text ---------------------------------------------------------------------------


def _values(code: str, n: int) -> dict[str, Any]:
    """A value for every field of the receipt, fitting its facets, with characters to escape."""
    _spec, lay = layout_of(code)
    values: dict[str, Any] = {}
    for f in lay.head_spec.fields:
        if f.kind == "int":
            values[f.name] = n
        elif f.kind == "decimal":
            values[f.name] = D("12.5") + n
        elif f.length is not None:
            values[f.name] = (f"{n}" * f.length)[: f.length]
        else:
            text = f"<{f.name}> & \"q\" 'a' 中文 {n}"
            values[f.name] = text[: f.max_length or len(text)]
    values["returnStatus"] = "120"
    return values


@pytest.mark.parametrize("code", sorted({r for r in RECEIPT_FOR.values() if r != "CEB900"}))
def test_a_receipt_written_as_text_is_the_bytes_lxml_writes(code: str) -> None:
    entities = [_values(code, n) for n in range(3)]
    entities.append({k: v for k, v in _values(code, 4).items() if k in ("guid", "returnStatus")})  # required left empty
    guid = "ABCDEF01-2345-4789-8BCD-EF0123456789"
    assert receipts.receipt_xml(code, entities, guid, check=False) == receipts.receipt_tree(code, entities, guid)


# --- a share of receipt checks -------------------------------------------------------------------


def _xsd_errors(data: bytes) -> list[str]:
    """The receipt against the official XSD, with lxml, as this test reads it."""
    root = etree.fromstring(data)
    _spec, lay = layout_of(etree.QName(root).localname[:6])
    schema = etree.XMLSchema(etree.parse(str(schema_dir() / lay.xsd)))
    return [] if schema.validate(root) else [str(e) for e in schema.error_log]  # type: ignore[attr-defined]


def _scenario(root: Path, **options: Any) -> dict[str, bytes]:
    """Orders, waybills, lists (export and import), a cancellation, junk: to the end of every walk."""
    platform = Platform(root)
    guids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 10_000))
    with SandboxCustoms(root, seed=3, inspection_rate=0.5, clock=clock, **options) as sandbox:
        for code in ("CEB303", "CEB505"):
            platform.send(code, DECLARATIONS[code], guid_factory=lambda: next(guids))
        for n in range(5):
            head = {**export_list("9610").head, "copNo": f"INV{n}"}
            platform.send("CEB603", [Entity(head, export_list("9610").lines)], guid_factory=lambda: next(guids))
        for n in range(1, 4):
            for code, entity in import_set(n, goods=D("300")).items():
                platform.send(code, [entity], guid_factory=lambda: next(guids))
        platform.send_raw("junk.xml", b"not xml")
        sandbox.step()
        sandbox.step()
        invt_no = next(
            r[0] for r in sandbox.state.db.execute("SELECT invt_no FROM document WHERE side = 'I' AND kind = 'list'")
        )
        platform.send("CEB623", [cancel_623(invt_no)], guid_factory=lambda: next(guids))
        sandbox.run_until_idle()
    return {p.name: p.read_bytes() for p in sorted((root / "in").iterdir())}


def test_a_receipt_check_share_below_one_still_writes_valid_receipts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[bytes] = []
    check = receipts.check_message
    monkeypatch.setattr(receipts, "check_message", lambda data: checked.append(data) or check(data))
    every = _scenario(tmp_path / "all")
    n_all, checked[:] = len(checked), []
    some = _scenario(tmp_path / "some", check_receipts=0.25)
    assert some == every and len(every) > 20  # the same receipts, byte for byte
    assert n_all == len(every)  # every one checked, the CEB900 (written as a tree) too
    assert 0 < len(checked) < n_all / 2
    for name, data in some.items():
        assert _xsd_errors(data) == [], name
    with pytest.raises(ValueError, match="check_receipts"):
        SandboxCustoms(tmp_path / "bad", check_receipts=1.5)


# --- the set-based store -------------------------------------------------------------------------


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(path)
    try:
        return {
            t: db.execute(f"SELECT rowid, * FROM {t} ORDER BY rowid").fetchall()
            for t in ("counter", "document", "quota", "walk", "received")
        }
    finally:
        db.close()


def test_the_set_based_store_leaves_the_same_state_as_one_statement_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_based = _scenario(tmp_path / "a")
    monkeypatch.setattr("cbec.sandbox.service.Store", lambda path: Store(path, set_based=False))
    one_by_one = _scenario(tmp_path / "b")
    assert set_based == one_by_one
    a, b = _dump(tmp_path / "a" / "sandbox" / "state.sqlite3"), _dump(tmp_path / "b" / "sandbox" / "state.sqlite3")
    assert a == b and len(a["document"]) > 20 and any(row[7] == "void" for row in a["document"])


def test_queued_writes_keep_their_order_and_a_rollback_forgets_them(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    doc = Doc("E", "list", "A", "CEB603", "g", 2, {"head": {"customsCode": "2933"}}, received_at="t")
    store.prefetch([("E", "list", "A"), ("E", "list", "B")])
    assert store.get("E", "list", "A") is None  # known missing, without a statement
    store.put(doc)
    store.put(Doc("E", "list", "B", "CEB603", "g", 2, {}, received_at="t"))
    store.put(doc)  # replaced: now after B, as INSERT OR REPLACE one at a time leaves it
    assert store.get("E", "list", "A") is doc
    assert [d.key for d in store.lists("E")] == ["B", "A"]
    store.set_status("E", "list", "A", 120)
    assert store.get("E", "list", "A") is doc and doc.status == 120
    store.commit()
    assert store.list_customs_codes([("E", "A"), ("E", "Z")]) == {("E", "A"): "2933"}
    assert store.next("n") == 1
    store.put(Doc("E", "order", "C", "CEB303", "g", 2, {}))
    store.rollback()
    assert store.get("E", "order", "C") is None and store.next("n") == 1
    fresh = Store(tmp_path / "s.sqlite3")
    got = fresh.get("E", "list", "A")
    assert got is not None and got.status == 120 and got.data == doc.data
    fresh.close()
    store.close()


def test_the_clock_is_read_once_a_step(tmp_path: Path) -> None:
    with SandboxCustoms(tmp_path, clock=clock) as sandbox:
        assert sandbox._t17() == NOW.strftime("%Y%m%d%H%M%S") + "000" and sandbox._day() == NOW.strftime("%Y%m%d")
