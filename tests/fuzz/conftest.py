"""Each fuzz test counts its inputs in a ``Tally`` named after it (``test_fuzz_<format>``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.harness import MAX_RSS_MIB, Tally, peak_rss_mib


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    name = request.node.name.removeprefix("test_fuzz_").split("[")[0].replace("_", "-")
    counted = Tally(name)
    yield counted
    counted.write()
    assert peak_rss_mib() < MAX_RSS_MIB, f"{counted.format}: the process peaked at {peak_rss_mib()} MiB"
