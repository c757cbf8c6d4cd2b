"""The erasure's pure rules: which fields are a person's, what replaces them, the byte forms a
value takes in a stored file, and how long the encrypted copy is kept."""

from __future__ import annotations

import json
from datetime import date

from cbec.privacy.rules import (
    ERASED,
    PersonValues,
    byte_forms,
    erase_fields,
    erase_text,
    holds_any,
    redact_bytes,
    retain_until,
)

HEAD = {
    "orderNo": "IO1",
    "buyerIdNumber": "110101199003074477",
    "buyerName": "张三",
    "buyerTelephone": "13800138000",
    "consigneeAddress": "北京市东城区示范路1号",
    "goodsValue": "199.00",
}


def test_every_personal_field_is_replaced_and_the_rest_kept() -> None:
    erased, n = erase_fields({"head": HEAD, "lines": [{"itemName": "面霜", "qty": "1"}]})
    assert n == 4
    assert erased["head"]["orderNo"] == "IO1" and erased["head"]["goodsValue"] == "199.00"
    assert {erased["head"][k] for k in ("buyerIdNumber", "buyerName", "buyerTelephone", "consigneeAddress")} == {ERASED}
    assert erased["lines"] == [{"itemName": "面霜", "qty": "1"}]
    assert erase_fields(erased) == (erased, 0)  # a second erasure changes nothing


def test_the_values_are_collected_and_searched_longest_first() -> None:
    person = PersonValues.collect([HEAD, {"consignee": "张三", "payerName": "王"}])
    assert person.values == {"110101199003074477", "张三", "13800138000", "北京市东城区示范路1号", "王"}
    assert (
        person.searched[:2] == ["110101199003074477", "13800138000"] and "王" not in person.searched
    )  # one character: not searched


def test_text_quoting_a_value_is_masked() -> None:
    person = PersonValues.collect([HEAD])
    masked, n = erase_text([{"message": "13800138000 is not a valid phone"}, "张三 called"], person)
    assert masked == [{"message": f"{ERASED} is not a valid phone"}, f"{ERASED} called"] and n == 2


def test_a_value_is_found_in_utf8_gb18030_and_json_escapes() -> None:
    forms = byte_forms("张三")
    assert "张三".encode() in forms and "张三".encode("gb18030") in forms
    assert json.dumps("张三").strip('"').encode() in forms  # \u5f20\u4e09
    assert b"\\u5F20\\u4E09" in forms
    assert byte_forms("13800138000") == [b"13800138000"]


def test_raw_bytes_are_rewritten_in_every_form_keeping_their_syntax() -> None:
    person = PersonValues.collect([HEAD])
    raw = json.dumps([HEAD], ensure_ascii=True).encode() + "张三,13800138000".encode("gb18030")
    out, n = redact_bytes(raw, person)
    assert n == 6 and not holds_any(out, person)
    assert json.loads(out[: out.index(b"]") + 1])[0]["buyerName"] == ERASED


def test_the_copy_is_kept_three_years_after_the_last_record() -> None:
    assert retain_until(date(2026, 12, 5)) == date(2029, 12, 5)
    assert retain_until(date(2028, 2, 29)) == date(2031, 2, 28)
