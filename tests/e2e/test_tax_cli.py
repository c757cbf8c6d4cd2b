"""``cbec tax … --record`` as a user runs it: a real process, a fresh data directory, one JSON object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli import SELLER, cbec

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tax" / "import-order.json"


def test_record_an_import_assessment_and_explain_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cbec(data, "partner", "add", "--code", SELLER, "--name", "X", "--role", "ebc")

    # the shipped example carries priorPurchases: with --record the ledger is the one source
    refused = cbec(data, "tax", "import", str(EXAMPLE), "--record", "--seller", SELLER, ok=False)
    assert (refused["error"], refused["field"]) == ("invalid_input", "priorPurchases")
    assert "ledger" in refused["message_en"] and "台账" in refused["message_zh"]

    order = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    del order["priorPurchases"]
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
    out = cbec(data, "tax", "import", str(path), "--record", "--seller", SELLER)
    assert out["taxTotal"] == "237.28" and out["limits"]["priorPurchases"] == "0.00"
    assert isinstance(out["assessmentId"], int)

    again = cbec(data, "tax", "import", str(path), "--record", "--seller", SELLER)
    assert again["limits"]["priorPurchases"] == "0.00"  # the same order counts once

    explained = cbec(data, "tax", "explain", str(out["assessmentId"]))
    assert explained["taxTotal"] == "237.28" and explained["reproduced"]["matches"]
    assert explained["basis"]["ruleSet"]["id"] == "CN-CBEC-RETAIL-2019"

    unknown = cbec(data, "partner", "list")
    assert [e["code"] for e in unknown["enterprises"]] == [SELLER]
    not_registered = cbec(data, "tax", "import", str(path), "--record", "--seller", "91330782MA2DEMP02Y", ok=False)
    assert not_registered["error"] == "not_found"
