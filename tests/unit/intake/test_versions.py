"""New, duplicate, new version or conflict (intake.rules.decide_version)."""

from __future__ import annotations

from cbec.intake.rules import StoredVersion, VersionOutcome, decide_version


def test_first_document_under_a_key_is_new_version_1() -> None:
    d = decide_version("h1", "S1", earlier_in_batch=None, stored=None)
    assert (d.outcome, d.version, d.supersedes) == (VersionOutcome.NEW, 1, None)


def test_same_content_as_stored_is_a_duplicate() -> None:
    d = decide_version("h1", "S1", earlier_in_batch=None, stored=StoredVersion(7, 2, "h1", "S1"))
    assert d.outcome is VersionOutcome.DUPLICATE
    assert d.reason == "same content" and d.reason_zh


def test_changed_content_is_the_next_version_and_supersedes_the_stored_one() -> None:
    d = decide_version("h2", "S1", earlier_in_batch=None, stored=StoredVersion(7, 2, "h1", "S1"))
    assert (d.outcome, d.version, d.supersedes) == (VersionOutcome.NEW_VERSION, 3, 7)


def test_another_sellers_document_is_a_conflict_even_with_the_same_content() -> None:
    d = decide_version("h1", "S2", earlier_in_batch=None, stored=StoredVersion(7, 2, "h1", "S1"))
    assert d.outcome is VersionOutcome.CONFLICT
    assert d.reason == "belongs to another seller" and d.reason_zh


def test_earlier_in_the_batch_is_compared_before_the_stored_one() -> None:
    earlier = StoredVersion(None, 3, "h2", "S1")
    stored = StoredVersion(7, 2, "h1", "S1")
    dup = decide_version("h2", "S1", earlier_in_batch=earlier, stored=stored)
    assert dup.outcome is VersionOutcome.DUPLICATE
    nxt = decide_version("h3", "S1", earlier_in_batch=earlier, stored=stored)
    assert (nxt.outcome, nxt.version, nxt.supersedes) == (VersionOutcome.NEW_VERSION, 4, None)


def test_earlier_in_the_batch_without_a_stored_one() -> None:
    d = decide_version("h2", "S1", earlier_in_batch=StoredVersion(None, 1, "h1", "S1"), stored=None)
    assert (d.outcome, d.version, d.supersedes) == (VersionOutcome.NEW_VERSION, 2, None)
