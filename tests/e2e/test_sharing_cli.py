"""``cbec sharing``: the operator subscribes a partner's receiver from the command line, a file
imported with ``cbec import`` reaches it signed through ``cbec sharing dispatch --once``, a
receiver that is down makes dead letters, and ``cbec sharing replay`` sends them once it is up.
Every change is on the audit trail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import cli
from tests.e2e.cli import PLATFORM, SELLER
from tests.webhook_receiver import Flakiness, Receiver

pytestmark = pytest.mark.e2e

FAST = {
    "CBEC_WEBHOOK_ALLOW_LOOPBACK": "1", "CBEC_WEBHOOK_RETRY_BASE_SECONDS": "0", "CBEC_WEBHOOK_MAX_ATTEMPTS": "2",
    "CBEC_WEBHOOK_TIMEOUT_SECONDS": "2",
}  # fmt: skip


def cbec(data_dir: Path, *args: str, ok: bool = True) -> dict[str, Any]:
    return cli.cbec(data_dir, *args, ok=ok, env=FAST, last_line=True, timeout=300)


def _orders(tmp_path: Path, n: int) -> Path:
    docs = [
        {
            "type": "export_order",
            "head": {
                "orderType": "E",
                "orderNo": f"CLI-{i}",
                "goodsValue": "10",
                "freight": "0",
                "currency": "502",
                "destinationCountry": "502",
                "orderTime": "20261123101500",
            },
            "lines": [
                {
                    "gnum": 1,
                    "itemNo": "SKU1",
                    "itemName": "mug",
                    "qty": "1",
                    "unit": "011",
                    "price": "10",
                    "totalPrice": "10",
                    "currency": "502",
                }
            ],
        }
        for i in range(n)
    ]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(docs))
    return path


def test_subscribe_dispatch_dead_letters_and_replay(registered: Path, tmp_path: Path) -> None:
    with Receiver({}, Flakiness(always_fail=True)) as receiver:
        made = cbec(
            registered, "sharing", "subscribe", "--enterprise", SELLER, "--url", receiver.url,
            "--event", "document.accepted", "--event", "document.refused",
        )  # fmt: skip
        assert made["secret"].startswith("whsec_")
        receiver.secrets[SELLER] = made["secret"]
        listed = cbec(registered, "sharing", "list")["items"]
        assert [s["id"] for s in listed] == [made["id"]] and "secret" not in listed[0]

        cbec(registered, "import", str(_orders(tmp_path, 3)), "--seller", SELLER, "--platform", PLATFORM)
        first = cbec(registered, "sharing", "dispatch", "--once")
        assert first["attempted"] == 6 and first["dead"] == 3  # two attempts each, then dead
        dead = cbec(registered, "sharing", "deliveries", "--status", "dead")
        assert dead["total"] == 3 and {d["event_type"] for d in dead["items"]} == {"document.accepted"}

        receiver.flaky.always_fail = False
        assert cbec(registered, "sharing", "replay", "--subscription", str(made["id"]))["replayed"] == 3
        again = cbec(registered, "sharing", "dispatch", "--once")
        assert again["delivered"] == 3
        got = receiver.got
        assert len(got.accepted) == 3 and got.bad_signatures == 0
        assert sorted(e["data"]["order_no"] for e in got.accepted.values()) == ["CLI-0", "CLI-1", "CLI-2"]

    refused = cbec(registered, "sharing", "subscribe", "--enterprise", SELLER, "--url", "https://10.1.2.3/h",
                   "--event", "risk.hit", ok=False)  # fmt: skip
    assert refused["field"] == "url" and "private" in refused["message_en"] and "内网" in refused["message_zh"]
    assert cbec(registered, "sharing", "unsubscribe", str(made["id"]))["is_active"] is False
    for action, n in (("webhook.subscribe", 1), ("webhook.replay", 1), ("webhook.delete", 1)):
        trail = cbec(registered, "audit", "list", "--action", action)
        assert trail["total"] == n and trail["items"][0]["actor_kind"] == "cli"
    assert "whsec_" not in json.dumps(cbec(registered, "audit", "list"))  # never the secret
