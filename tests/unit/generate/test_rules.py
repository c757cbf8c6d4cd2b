"""The load generator's pure rules: identifiers that check, amounts that add up, the shares asked
for, the Online Retail shape, and the same bytes for the same seed."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from random import Random

import pytest
from stdnum.cn import ric, uscc

from cbec.ceb.messages import BaseTransfer, build
from cbec.customs.builders import DocIn, Party, ProductInfo, default_profile, export_declaration, import_declaration
from cbec.generate.basics import (
    OTHER_SELLER_CODE,
    RIC_CHECK,
    RIC_WEIGHTS,
    Clock,
    GenerateOptions,
    Mix,
    Parties,
    Weighted,
    resident_id,
    retail_limits_fen,
    ric_check_char,
)
from cbec.generate.encoder import AMAZON_HEADER, Encoder
from cbec.generate.exports import (
    EXPORT_ORDER_LINES,
    ExportOutcome,
    ExportTally,
    export_cases,
    export_catalogue,
    family_of,
    split_lines,
)
from cbec.generate.imports import (
    IMPORT_FLIGHTS,
    IMPORT_UNIT,
    ImportOutcome,
    ImportTally,
    import_cases,
    withheld_tax,
)
from cbec.generate.people import IdentityAllocator, new_person
from cbec.generate.profile import derive_profile, load_national_mix, load_profile
from cbec.generate.service import generate
from cbec.intake.documents import DocType, ParseContext
from cbec.intake.parsers import amazon_orders, json_docs
from cbec.intake.rules import validate
from cbec.kit.codes import code_lists
from cbec.kit.tracking import is_valid_s10, make_s10
from cbec.tax.rules import retail_import_rules

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
CTX = ParseContext(
    "91330782MA2DEMN016", "义乌示范礼品家居有限公司", "91330782MA2DEMP02Y", "义乌示范跨境电商平台有限公司"
)
OPTIONS = GenerateOptions(orders=4000, seed=11, mismatch_share=0.05, invalid_share=0.02, marketplace_share=0.3)
PHONE = re.compile(r"^1[3-9]\d{9}$")


@pytest.fixture(scope="module")
def catalogue():  # type: ignore[no-untyped-def]
    return export_catalogue(load_profile())


@pytest.fixture(scope="module")
def exports(catalogue):  # type: ignore[no-untyped-def]
    return list(export_cases(OPTIONS, catalogue))


@pytest.fixture(scope="module")
def imports():  # type: ignore[no-untyped-def]
    tally = ImportTally()
    return list(import_cases(OPTIONS, tally)), tally


# --- identifiers -----------------------------------------------------------------------------


def test_the_id_check_character_is_gb_11643_as_written_and_as_stdnum_computes_it() -> None:
    rng = Random(0)
    for _ in range(2000):
        body = "".join(str(rng.randrange(10)) for _ in range(17))
        by_weights = RIC_CHECK[sum(int(d) * w for d, w in zip(body, RIC_WEIGHTS, strict=True)) % 11]
        assert ric_check_char(body) == by_weights == ric.calc_check_digit(body + "0")
    assert RIC_WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert resident_id("110101", date(1990, 3, 7), 447) == "110101199003074477"  # the test suite's buyer
    with pytest.raises(ValueError, match="17 digits"):
        ric_check_char("11010119900307447X")


def test_a_thousand_buyer_ids_are_valid_unique_adult_and_say_the_sex_of_the_name(imports) -> None:
    cases, _ = imports
    people = {c.buyer.person.id_number: c.buyer.person for c in cases}
    people |= {c.payer.id_number: c.payer for c in cases if c.payer}
    assert len(people) >= 1000
    for number, person in people.items():
        assert ric.validate(number) == number  # length, check character, birth date and place
        age = OPTIONS.start.year - ric.get_birth_date(number).year
        assert 19 <= age <= 67
        assert (int(number[16]) % 2 == 1) == person.is_male
        assert PHONE.match(person.phone), person.phone
        assert 2 <= len(person.name) <= 3


def test_ids_never_repeat_even_for_people_born_the_same_year() -> None:
    ids = IdentityAllocator(seed=3)
    numbers = {resident_id(*_decoded(ids.allocate(1990))) for _ in range(20_000)}
    assert len(numbers) == 20_000
    people = [new_person(Random(1), ids, 2026, is_male=False) for _ in range(50)]
    assert all(not p.is_male and int(p.id_number[16]) % 2 == 0 for p in people)


def _decoded(allocated: tuple[str, str, int]) -> tuple[str, date, int]:
    region, birth, sequence = allocated
    return region, date(int(birth[:4]), int(birth[4:6]), int(birth[6:])), sequence


def test_waybill_numbers_are_valid_distinct_upu_s10_numbers(exports, imports) -> None:
    numbers = [c.logistics_no for c in exports] + [c.logistics_no for c in imports[0]]
    assert all(is_valid_s10(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    first = exports[0].logistics_no
    assert make_s10(first[:2], int(first[2:10]), first[-2:]) == first
    assert {n[-2:] for n in numbers[: len(exports)]} == {"CN"}  # posted in China
    assert uscc.is_valid(OTHER_SELLER_CODE)


# --- determinism -----------------------------------------------------------------------------


def _digest(options: GenerateOptions, catalogue) -> str:  # type: ignore[no-untyped-def]
    encoder = Encoder(options.parties, catalogue)
    h = hashlib.sha256()
    for c in export_cases(options, catalogue):
        h.update(encoder.amazon_rows(c) if c.is_marketplace else encoder.export_order(c))
        h.update(encoder.export_waybill(c) or b"-")
    for i in import_cases(options, ImportTally()):
        h.update(encoder.import_order(i) + (encoder.import_payment(i) or b"-") + (encoder.import_waybill(i) or b"-"))
    return h.hexdigest()


def test_the_same_seed_gives_the_same_documents_and_another_seed_others(catalogue) -> None:
    small = replace(OPTIONS, orders=600)
    assert _digest(small, catalogue) == _digest(small, catalogue)
    assert _digest(small, catalogue) != _digest(replace(small, seed=12), catalogue)


# --- amounts ---------------------------------------------------------------------------------


def _places(value: str) -> int:
    exponent = Decimal(value).as_tuple().exponent
    assert isinstance(exponent, int)
    return -exponent


def test_export_orders_add_up_to_the_fen_and_pass_intake_unless_broken_on_purpose(exports, catalogue) -> None:
    encoder = Encoder(OPTIONS.parties, catalogue)
    codes = code_lists()
    broken = 0
    for case in exports:
        if case.is_marketplace:
            continue
        doc = json.loads(encoder.export_order(case))
        head, lines = doc["head"], doc["lines"]
        for amount in [head["goodsValue"], head["freight"]] + [ln[k] for ln in lines for k in ("price", "totalPrice")]:
            assert isinstance(amount, str) and _places(amount) == 2  # decimal text, two places
        for ln in lines:
            assert Decimal(ln["totalPrice"]) == Decimal(ln["qty"]) * Decimal(ln["price"])
        total = sum(Decimal(ln["totalPrice"]) for ln in lines)
        assert [ln["gnum"] for ln in lines] == list(range(1, len(lines) + 1))
        parsed = json_docs.parse(json.dumps([doc]).encode(), CTX).materialize()
        _, errors = validate(parsed.documents[0], codes)  # type: ignore[index]
        if case.outcome is ExportOutcome.INVALID:
            broken += 1
            assert Decimal(head["goodsValue"]) != total
            assert [(e.code, e.field) for e in errors] == [("arithmetic", "goodsValue")]
        else:
            assert Decimal(head["goodsValue"]) == total
            assert errors == [], errors
    assert broken > 0


def test_import_orders_payments_and_waybills_agree_as_the_ceb_spec_says_unless_told_not_to(imports) -> None:
    cases, _ = imports
    encoder = Encoder(OPTIONS.parties)
    codes = code_lists()
    seen = Counter()
    for case in cases:
        order = json.loads(encoder.import_order(case))
        head, lines = order["head"], order["lines"]
        goods = sum(Decimal(ln["totalPrice"]) for ln in lines)
        assert Decimal(head["goodsValue"]) == goods
        paid = goods + Decimal(head["freight"]) + Decimal(head["taxTotal"]) - Decimal(head["discount"])
        assert all(_places(head[k]) == 2 for k in ("goodsValue", "freight", "taxTotal", "discount", "acturalPaid"))
        day = case.order_time[:8]
        single = retail_import_rules(date(int(day[:4]), int(day[4:6]), int(day[6:8]))).single_limit
        assert retail_limits_fen(day)[0] == single * 100  # the platform's rule set, 财关税〔2018〕49号
        assert goods + Decimal(head["freight"]) <= single
        assert Decimal(head["taxTotal"]) == Decimal(withheld_tax(case.lines, case.freight)) / 100
        # sold by the piece, the first legal unit the list takes when the catalogue names none
        assert {ln["unit"] for ln in lines} == {IMPORT_UNIT} == {default_profile().default_legal_unit}
        assert all("规格:" in ln["gmodel"] or "型号:" in ln["gmodel"] for ln in lines)
        payment = encoder.import_payment(case)
        waybill = encoder.import_waybill(case)
        documents = [order] + [json.loads(d) for d in (payment, waybill) if d is not None]
        parsed = json_docs.parse(json.dumps(documents).encode(), CTX).materialize()
        errors = [e for d in parsed.documents for e in validate(d, codes)[1]]
        seen[case.outcome] += 1
        if case.outcome is ImportOutcome.INVALID:
            assert Decimal(head["acturalPaid"]) != paid
            assert [(e.code, e.field) for e in errors] == [("arithmetic", "acturalPaid")]
            continue
        assert Decimal(head["acturalPaid"]) == paid and errors == []
        if payment is None:
            assert case.outcome is ImportOutcome.PAYMENT_MISSING
        else:
            pay = json.loads(payment)["head"]
            same = pay["amountPaid"] == head["acturalPaid"]
            assert same == (case.outcome is not ImportOutcome.AMOUNT)
            assert (pay["payerIdNumber"] == head["buyerIdNumber"]) == (case.outcome is not ImportOutcome.PAYER)
            assert pay["payTransactionId"] == head["payTransactionId"] and pay["payTime"] > head["orderTime"]
        if waybill is None:
            assert case.outcome is ImportOutcome.WAYBILL_MISSING
        else:
            way = json.loads(waybill)["head"]
            # the flight and master air waybill a 9610 list needs: IATA prefix, serial, check digit
            flight, airline = IMPORT_FLIGHTS[case.logistics_no[-2:]]
            assert way["trafNo"] == way["voyageNo"] == flight
            assert re.fullmatch(rf"{airline}-\d{{8}}", way["billNo"])
            assert int(way["billNo"][4:11]) % 7 == int(way["billNo"][-1])
            fields = ("consignee", "consigneeTelephone", "consigneeAddress")
            assert ({f: way[f] for f in fields} == {f: head[f] for f in fields}) == (
                case.outcome is not ImportOutcome.CONSIGNEE
            )
    assert set(seen) == set(ImportOutcome)


def test_amazon_rows_read_back_as_the_same_orders(exports, catalogue) -> None:
    encoder = Encoder(OPTIONS.parties, catalogue)
    market = [c for c in exports if c.is_marketplace]
    assert len(market) > 100
    report = AMAZON_HEADER.encode() + b"\n" + b"\n".join(encoder.amazon_rows(c) for c in market) + b"\n"
    parsed = amazon_orders.parse(report, CTX).materialize()
    assert not parsed.errors
    by_no = {d.head.get("orderNo") or d.head["cancelNo"]: d for d in parsed.documents}  # type: ignore[union-attr]
    for case in market:
        doc = by_no[case.order_no]
        if case.outcome is ExportOutcome.CANCELLED:
            assert doc.doc_type is DocType.ORDER_CANCEL
            continue
        assert doc.doc_type is DocType.EXPORT_ORDER
        assert doc.head["goodsValue"] == Decimal(case.goods) / 100
        assert doc.head["freight"] == Decimal(case.freight) / 100
        assert doc.head["orderTime"] == case.order_time  # back to Beijing time
        assert doc.head["destinationCountry"] == case.destination.code


def test_the_amazon_header_is_the_one_of_the_sample_report() -> None:
    sample = Path(__file__).resolve().parents[2] / "data" / "amazon-all-orders.txt"
    assert sample.read_text(encoding="utf-8").split("\n", 1)[0].rstrip("\r") == AMAZON_HEADER


# --- shares and shapes -----------------------------------------------------------------------


def test_over_quota_buyers_come_as_often_as_asked_and_only_they_cross_the_limit() -> None:
    options = GenerateOptions(orders=40_000, seed=5, over_quota_share=0.05)
    tally = ImportTally()
    totals: dict[str, Counter[int]] = defaultdict(Counter)
    heavy: dict[str, bool] = {}
    for case in import_cases(options, tally):
        totals[case.buyer.person.id_number][case.year] += case.value
        heavy[case.buyer.person.id_number] = case.buyer.is_heavy
    over = {b for b, years in totals.items() if any(v > retail_limits_fen(f"{y}1231")[1] for y, v in years.items())}
    assert len(totals) == tally.buyers and len(over) == tally.over_limit_buyers
    assert over <= {b for b, h in heavy.items() if h}  # normal buyers stay within 26,000
    assert tally.over_limit_buyers / tally.buyers == pytest.approx(0.05, abs=0.01)
    assert tally.split_orders >= 2 * tally.split_purchases > 0


def test_split_orders_are_one_purchase_of_one_buyer_seconds_apart(imports) -> None:
    cases, tally = imports
    parts: dict[str, list] = defaultdict(list)
    for c in cases:
        if c.purchase:
            parts[c.purchase].append(c)
    assert len(parts) == tally.split_purchases > 0
    for purchase, group in parts.items():
        assert [c.order_no for c in group] == [f"{purchase}-{k}" for k in range(1, len(group) + 1)]
        assert len({c.buyer.person.id_number for c in group}) == 1
        assert int(group[-1].order_time) - int(group[0].order_time) < 100


def test_export_orders_have_the_online_retail_shape(exports, catalogue) -> None:
    profile = load_profile()
    purchases = Counter(c.purchase or c.order_no for c in exports)
    lines = Counter()
    for c in exports:
        lines[c.purchase or c.order_no] += len(c.lines)
    mean = sum(lines.values()) / len(purchases)  # lines per purchase, split or not, as the data set counts them
    expected = sum(n * k for n, k in profile["lines_per_order"]) / sum(k for _, k in profile["lines_per_order"])
    assert mean == pytest.approx(expected, rel=0.1)
    uk = sum(c.destination.code == "303" for c in exports) / len(exports)
    by_country = {d["code"]: d["orders"] for d in profile["destinations"]}
    assert uk == pytest.approx(by_country["303"] / sum(by_country.values()), abs=0.03)
    cancelled = sum(c.outcome is ExportOutcome.CANCELLED for c in exports) / len(exports)
    assert cancelled == pytest.approx(profile["cancellation_share"], abs=0.03)
    prices = Counter(line.product.price for c in exports for line in c.lines)
    assert 100 <= sorted(prices.elements())[sum(prices.values()) // 2] <= 300  # median £1–£3, as in the data set


def test_no_export_order_has_more_lines_than_ceb303_allows_a_longer_purchase_is_split(exports, catalogue) -> None:
    tally = ExportTally()
    assert [c.order_no for c in export_cases(OPTIONS, catalogue, tally)] == [c.order_no for c in exports]
    assert len(exports) == OPTIONS.export_orders and [c.index for c in exports] == list(range(len(exports)))
    assert max(len(c.lines) for c in exports) <= EXPORT_ORDER_LINES
    parts: dict[str, list] = defaultdict(list)
    for c in exports:
        if c.purchase:
            parts[c.purchase].append(c)
    assert len(parts) == tally.split_purchases > 10 and sum(map(len, parts.values())) == tally.split_orders
    for purchase, group in parts.items():
        assert [c.order_no for c in group] == [f"{purchase}-S{k}" for k in range(1, len(group) + 1)]
        total = sum(len(c.lines) for c in group)
        assert len(group) == -(-total // EXPORT_ORDER_LINES) >= 2  # as few orders as hold the purchase
        assert max(len(c.lines) for c in group) - min(len(c.lines) for c in group) <= 1
        assert len({(c.destination, c.buyer_ref) for c in group}) == 1 and not any(c.is_marketplace for c in group)
        assert all(c.freight == 0 for c in group[1:])  # the postage goes with the first parcel
        assert len({c.logistics_no for c in group}) == len(group)  # a parcel and a waybill each
        assert len({c.outcome is ExportOutcome.CANCELLED for c in group}) == 1  # cancelled as a whole
        assert int(group[-1].order_time) - int(group[0].order_time) < 100
    assert split_lines(list(range(153)), 2) == [list(range(77)), list(range(77, 153))]


def test_a_run_that_ends_within_a_split_purchase_drops_the_lines_beyond_its_orders(catalogue) -> None:
    long = replace(catalogue, lines_per_order=Weighted([(250, 1.0)]))  # every purchase: 250 lines
    for orders, expected in [(4, [84, 83, 83, 100]), (5, [84, 83, 83, 100, 100])]:
        cases = list(export_cases(GenerateOptions(orders=orders * 2, seed=3), long))
        assert [len(c.lines) for c in cases] == expected
        # the last purchase: two orders of 100 lines when two are left, one order unsplit when one is
        assert [bool(c.purchase) for c in cases] == [True, True, True] + [orders == 5] * (orders - 3)


def test_a_parcel_suffix_on_a_waybill_never_names_another_order(catalogue) -> None:
    options = GenerateOptions(orders=3000, seed=4, mismatch_share=0.6, cancel_share=0.0, invalid_share=0.0)
    encoder = Encoder(options.parties, catalogue)
    cases = list(export_cases(options, catalogue))
    orders = {c.order_no for c in cases}
    suffixed = 0
    for c in cases:
        waybill = encoder.export_waybill(c)
        if waybill is None:
            continue
        named = json.loads(waybill)["head"]["orderNo"]
        if c.outcome is ExportOutcome.WAYBILL_ORDER_NO:
            assert named == f"{c.order_no}-1" and named not in orders
            suffixed += bool(c.purchase)
        else:
            assert named == c.order_no
    assert suffixed > 0  # split orders too get the deliberate parcel suffix, and it names no order


def test_every_generated_order_meant_to_match_builds_its_declaration(exports, imports, catalogue) -> None:
    """What cbec.customs.builders makes of the matched orders passes its message builder: at most 100
    lines an export order, import lines in their first legal unit, a 9610 list's flight and bill."""
    encoder = Encoder(OPTIONS.parties, catalogue)
    profile, at = default_profile(), datetime(2026, 2, 1, tzinfo=UTC)
    seller = Party(CTX.seller_code, CTX.seller_name)
    transfer = BaseTransfer(CTX.seller_code, CTX.seller_name, "DXPENT0000000000")

    def stored(*documents: bytes) -> list[DocIn]:
        parsed = json_docs.parse(b"[" + b",".join(documents) + b"]", CTX).materialize()
        return [DocIn(n, d.head, d.lines) for n, d in enumerate(parsed.documents)]  # type: ignore[union-attr]

    entities: dict[str, list] = defaultdict(list)
    matched = [c for c in exports if c.outcome is ExportOutcome.MATCHED and not c.is_marketplace]
    json_exports = [c for c in matched if c.purchase] + [c for c in matched if not c.purchase][:200]
    assert len(json_exports) > 300  # the split orders and 200 others
    for case in json_exports:
        order, waybill = stored(encoder.export_order(case), encoder.export_waybill(case) or b"")
        products = {
            ln.product.item_no: ProductInfo(ln.product.family.hs_code, ln.product.family.name_zh) for ln in case.lines
        }
        made = export_declaration(
            order,
            waybill,
            products,
            trade_mode="9610",
            agent=seller,
            logistics=seller,
            profile=profile,
            export_date="20260201",
        )
        for message, items in made.entities.items():
            entities[message] += [e for _, e in items]
    cases, _ = imports
    for item in [c for c in cases if c.outcome is ImportOutcome.MATCHED][:300]:
        order, payment, waybill = stored(
            encoder.import_order(item), encoder.import_payment(item) or b"", encoder.import_waybill(item) or b""
        )
        products = {p.item_no: ProductInfo(p.hs_code, p.name) for p, _ in item.lines}
        made = import_declaration(
            order,
            payment,
            waybill,
            products,
            trade_mode="9610",
            agent=seller,
            assure=seller,
            profile=profile,
            declared_on="20260201",
        )
        for message, items in made.entities.items():
            entities[message] += [e for _, e in items]
    declared = Counter()
    for message, built in entities.items():
        for start in range(0, len(built), 100):
            build(message, built[start : start + 100], transfer, at=at)  # raises what customs would refuse
        declared[message] = len(built)
    assert set(declared) == {"CEB303", "CEB505", "CEB603", "CEB311", "CEB411", "CEB511", "CEB621"}
    assert declared["CEB603"] == declared["CEB303"] == len(json_exports)  # one list an order: none over 100 lines


def test_weighted_draws_follow_their_weights() -> None:
    table = Weighted([("a", 1), ("b", 3), ("c", 0), ("d", 6)])
    counts = Counter(table.draws(Random(2), 100_000))
    assert "c" not in counts
    assert counts["a"] / 100_000 == pytest.approx(0.1, abs=0.005)
    assert counts["d"] / 100_000 == pytest.approx(0.6, abs=0.005)


def test_the_clock_spreads_orders_over_the_days_in_order_of_their_numbers() -> None:
    clock = Clock(date(2026, 1, 1), 3, 300, [0] * 8 + [1] * 10 + [0] * 6)
    stamps = [clock.stamp(clock.seconds(i)) for i in range(300)]
    assert stamps == sorted(stamps)
    assert stamps[0] == "20260101080000" and stamps[-1] < "20260104"
    assert all("08" <= s[8:10] <= "17" for s in stamps)


@pytest.mark.parametrize(
    ("description", "hs_code"),
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "9405500000"),
        ("JUMBO BAG RED RETROSPOT", "4202920000"),
        ("PACK OF 72 RETROSPOT CAKE CASES", "4823909000"),
        ("CREAM CUPID HEARTS COAT HANGER", "3926400000"),  # CUPID is not a cup
        ("SET OF 3 CAKE TINS PANTRY DESIGN", "3924900000"),
    ],
)
def test_products_are_classed_by_whole_words(description: str, hs_code: str) -> None:
    assert family_of(description).hs_code == hs_code


def test_options_that_cannot_be_used_are_named() -> None:
    problems = GenerateOptions(orders=0, mismatch_share=1.5, cancel_share=0.5, invalid_share=0.6).problems()
    assert "--orders must be at least 1" in problems
    assert "--mismatch-share must be between 0 and 1" in problems
    assert any("add up to more than 1" in p for p in problems)
    assert GenerateOptions(orders=1).problems() == []
    assert Parties().as_dict()["seller"]["code"] == CTX.seller_code


@pytest.mark.slow
def test_the_committed_profile_is_what_derive_profile_makes_of_the_data_set() -> None:
    data = SHARED / "data" / "online-retail.parquet"
    if not data.exists():
        pytest.fail(f"the Online Retail data set is expected at {data}")
    assert derive_profile(data) == load_profile()


# --- the national mix (--mix national) --------------------------------------------------------


def test_the_national_mix_sends_b2c_parcels_of_one_to_three_lines_in_the_files_shares() -> None:
    """B2C parcels: 1–3 goods lines of 1–4 units, in the shares of data/national_mix.json within
    three standard errors, the same products and destinations as the Online Retail mix, and every
    order still valid at intake unless broken on purpose."""
    mix = load_national_mix()
    catalogue = export_catalogue(load_profile(), mix)
    options = replace(OPTIONS, orders=12_000, mix=Mix.NATIONAL)
    cases = list(export_cases(options, catalogue))
    lines = Counter(len(c.lines) for c in cases)
    units = Counter(line.qty for c in cases for line in c.lines)
    assert set(lines) <= {1, 2, 3} and set(units) <= {1, 2, 3, 4}
    for table, seen in ((mix["export_lines_per_parcel"], lines), (mix["export_quantity_per_line"], units)):
        total, observed = sum(w for _, w in table), sum(seen.values())
        for value, weight in table:
            p = weight / total
            assert abs(seen[value] / observed - p) <= 3 * (p * (1 - p) / observed) ** 0.5, (value, seen)
    wholesale = export_catalogue(load_profile())
    assert {c.destination.code for c in cases} <= {d.code for d in wholesale.destinations.items}
    encoder, codes = Encoder(options.parties, catalogue), code_lists()
    meant = [c for c in cases[:400] if not c.is_marketplace and c.outcome is ExportOutcome.MATCHED]
    documents = [json.loads(encoder.export_order(c)) for c in meant]
    parsed = json_docs.parse(json.dumps(documents).encode(), CTX).materialize()
    assert len(meant) > 200
    assert [e for d in parsed.documents for e in validate(d, codes)[1]] == []


def test_the_manifest_counts_the_goods_lines_of_its_files_and_names_the_mix(tmp_path: Path) -> None:
    for mix in Mix:
        out = tmp_path / mix.value
        manifest = generate(replace(OPTIONS, orders=600, marketplace_share=0.0, mix=mix), out, batch_size=250)
        written = Counter()
        for f in manifest["files"]:
            for doc in json.loads((out / f["name"]).read_text(encoding="utf-8")):
                if f["type"] in ("export_order", "import_order"):
                    written[f["type"]] += len(doc["lines"])
        assert manifest["mix"]["name"] == mix.value
        assert (manifest["export"]["goods_lines"], manifest["import"]["goods_lines"]) == (
            written["export_order"],
            written["import_order"],
        )
    ratio = _lines_per_order(tmp_path / "online-retail") / _lines_per_order(tmp_path / "national")
    assert ratio > 10  # wholesale invoices against B2C parcels


def _lines_per_order(out: Path) -> float:
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return m["export"]["goods_lines"] / m["export"]["orders"]
