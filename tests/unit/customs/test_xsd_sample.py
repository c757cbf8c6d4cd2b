"""The share of declarations validated against the official XSD as they are built
(``Settings.xsd_sample``, ``CBEC_STRICT_XSD``): chosen by guid, so a message is always in or out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cbec.ceb.messages import BaseTransfer, Entity, build, codec
from cbec.ceb.messages.codec import in_sample, new_guid
from cbec.config import Settings

from .samples import export_list

AT = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
TRANSFER = BaseTransfer(copCode="3301964K01", copName="测试传输企业", dxpId="DXPENT0000000000")


def test_the_sample_is_about_its_share_and_stable_per_guid() -> None:
    guids = [new_guid() for _ in range(20_000)]
    share = sum(in_sample(g, 0.05) for g in guids) / len(guids)
    assert 0.04 < share < 0.06
    assert [in_sample(g, 0.05) for g in guids[:100]] == [in_sample(g, 0.05) for g in guids[:100]]
    assert all(in_sample(g, 1.0) for g in guids[:100]) and not any(in_sample(g, 0.0) for g in guids[:100])


def test_strict_validates_every_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CBEC_STRICT_XSD", raising=False)
    assert Settings(xsd_sample=0.05).xsd_check_share == 0.05
    assert Settings(xsd_sample=0.05, strict_xsd=True).xsd_check_share == 1.0
    with pytest.raises(ValueError):
        Settings(xsd_sample=1.5)


def test_messages_outside_the_sample_skip_only_the_xsd(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = codec.check_message
    monkeypatch.setattr(codec, "check_message", lambda root: checked.append(root.get("guid")) or real(root))
    listing = export_list("9610")
    low, high = "00000000-0000-4000-8000-000000000001", "FFFFFFFF-0000-4000-8000-000000000001"
    ents = [Entity(dict(listing.head), listing.lines)]
    build("CEB603", ents, TRANSFER, at=AT, guid_factory=lambda: low, xsd_sample=0.5)  # in the sample
    out = build("CEB603", ents, TRANSFER, at=AT, guid_factory=lambda: high, xsd_sample=0.5)
    assert checked == [low]
    assert real(out[0].data) == []  # not checked as it was built, and valid all the same
    build("CEB603", ents, TRANSFER, at=AT, guid_factory=lambda: high, xsd_sample=1.0)
    assert checked == [low, high]
