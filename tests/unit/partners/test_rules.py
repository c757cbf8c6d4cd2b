from __future__ import annotations

import pytest

from cbec.errors import InvalidInput
from cbec.partners.rules import Role, check_enterprise_code, parse_role


def test_valid_codes_are_told_apart() -> None:
    assert check_enterprise_code("91330782MA2DEMN016") == "uscc"
    assert check_enterprise_code("1105910159") == "customs"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91330782MA2DEMN017", "check character"),  # wrong GB 32100 check character
        ("91330782MA2DEMN01", "17 characters"),
        ("110591015a", "upper-case"),
        ("", "0 characters"),
    ],
)
def test_bad_codes_are_refused_with_the_reason(code: str, words: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_enterprise_code(code)
    assert words in exc.value.message_en
    assert exc.value.message_zh and exc.value.field == "code"


def test_roles() -> None:
    assert parse_role("EBC") is Role.EBC
    with pytest.raises(InvalidInput) as exc:
        parse_role("seller")
    assert "ebp, ebc, pay, logistics, agent, operator, warehouse" in exc.value.message_en
