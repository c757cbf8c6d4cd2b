"""Keys split for IN (...) queries: every distinct key once, in order, never more than the size."""

from cbec.kit.chunks import in_chunks


def test_every_distinct_key_once_sorted_and_bounded() -> None:
    keys = [f"K{i:04d}" for i in range(1203)] * 2  # each twice
    parts = list(in_chunks(reversed(keys), 500))
    assert [len(p) for p in parts] == [500, 500, 203]
    assert [k for p in parts for k in p] == sorted(set(keys))


def test_no_keys_no_query() -> None:
    assert list(in_chunks([])) == []
