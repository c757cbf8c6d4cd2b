"""The main job as the README runs it: `cbec demo` on a fresh SQLite data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cbec.ceb.messages import check_message, parse_receipts
from cbec.ceb.signing import verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_demo_runs_the_online_retail_year_through_customs(tmp_path: Path) -> None:
    data_dir = tmp_path / "cbec-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    proc = subprocess.run(
        [sys.executable, "-m", "cbec.cli.main", "demo", "--no-serve", "--data-dir", str(data_dir), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout)
    assert (r["invoices_read"], r["orders"], r["cancellations"]) == (25_900, 19_959, 3_836)
    after = r["matching"]["after_review"]["export"]
    matched = after["matched"]
    assert matched > r["matching"]["by_state"]["matched"]  # the seller's review released orders
    review = r["catalogue"]["review"]
    assert review["orders_released"] == matched - r["matching"]["by_state"]["matched"]
    # every held order waits on a SKU; an unmatched one may wait on a SKU and a waybill
    waiting = review["orders_still_waiting_on_a_code"]
    assert after.get("held", 0) <= waiting <= after.get("held", 0) + after.get("unmatched", 0)
    cu = r["customs"]
    declared = matched - cu["declare"]["refused"]  # refused: over CEB303's 100 lines, named
    assert all("100" in e["message_en"] for e in cu["declare"]["refused_examples"])
    assert cu["declare"]["declared"] == {"CEB303": declared, "CEB505": declared, "CEB603": declared}
    assert cu["declarations"]["CEB603"] == {"closed": declared}  # every list reached its final state
    # every released parcel arrived and departed before the summary (only departed lists are in it)
    lg = cu["logistics"]
    assert lg["parcels"] == lg["departed"] == declared and lg["tracking_events"] == 4 * declared
    assert all(set(by) == {"concluded"} for by in lg["movements"].values()), lg["movements"]
    assert cu["summary_lists"] == declared and cu["summary_results_ceb792"] == 1
    assert float(cu["refund_position"]["refundable_cny"]) > 0
    assert r["declared_and_released"] == declared
    assert r["valid_export_orders"] == r["orders"] - r["invalid_orders"]
    assert r["declared_and_released_share"] == round(declared / r["valid_export_orders"], 4) >= 0.8

    sent = sorted((data_dir / "messages" / "archive" / "sent").rglob("*.xml"))
    assert len(sent) == cu["messages_built_and_xsd_checked"]
    for f in sent:  # every message the demo produced validates against the official XSD, signed
        data = f.read_bytes()
        assert check_message(data) == [], f.name
        verify(data)  # enveloped XML-DSig (RSA-SHA1 sandbox key) checks out
    received = sorted((data_dir / "messages" / "archive" / "received").rglob("*.xml"))
    assert received and all(parse_receipts(f.read_bytes()) for f in received if not f.name.startswith("CEB792"))
    assert sum(1 for f in received if f.name.startswith("CEB792")) == 1
