"""Fixtures of the web tests: the two-seller platform of ``web_world``, built once per module.

Each module gets its own world (on SQLite, in a temporary folder), so what one module submits,
revokes or declares cannot change what another module reads.
"""

from __future__ import annotations

import pytest

from tests.e2e.web_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("web-world") / "data")
