"""XML entity and DTD tricks, in any encoding and behind any prolog, are refused as hostile
(``HostileInput``) by every path that reads partner XML: a bare CEB message and a DxpMsg."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cbec.errors import HostileInput
from cbec.intake.formats import Format, parser_for
from tests.fuzz import seeds
from tests.fuzz.harness import FUZZ, Tally, outcome

LAUGHS = b'<!ENTITY lol "lol">' + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
)
DOCTYPES = (
    b"<!DOCTYPE r [" + LAUGHS + b"]>",
    b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE r SYSTEM "http://127.0.0.1:1/evil.dtd">',
    b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p.dtd"> %p;]>',
    b'<!DOCTYPE r PUBLIC "-//x//y" "file:///dev/random">',
    b"<!doctype r>",
    b"<! DOCTYPE r []>",
)
REFERENCES = (b"&lol9;", b"&x;", b"&#x26;lol9;", b"")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32")
PROLOGS = st.sampled_from([b"", b"<!-- c -->", b"<?pi x?>", b"\n\n", b"<!--" + b"x" * 140_000 + b"-->"])


def _hostile(doctype: bytes, reference: bytes, prolog: bytes, seed: bytes, encoding: str) -> bytes:
    body = seed.split(b"?>", 1)[-1] if seed.startswith(b"<?xml") else seed
    body = body.replace(b"</ceb:orderNo>", reference + b"</ceb:orderNo>", 1)
    declaration = b'<?xml version="1.0" encoding="%s"?>' % encoding.split("-sig", maxsplit=1)[0].upper().encode()
    text = (declaration + prolog + doctype + body).decode("utf-8", "replace")
    return text.encode(encoding)


@FUZZ
@given(
    st.sampled_from(DOCTYPES),
    st.sampled_from(REFERENCES),
    PROLOGS,
    st.sampled_from(seeds.ceb_seeds()),
    st.sampled_from(ENCODINGS),
)
def test_fuzz_ceb_hostile(tally: Tally, doctype: bytes, ref: bytes, prolog: bytes, seed: bytes, encoding: str) -> None:
    data = _hostile(doctype, ref, prolog, seed, encoding)
    parse = parser_for(Format.CEB)
    try:
        kind, _ = outcome(lambda: parse(data, seeds.CTX))
    except HostileInput:  # pragma: no cover - outcome() catches it; kept for the reader
        kind = "refused"
    assert kind == "refused"
    try:
        parse(data, seeds.CTX)
    except HostileInput as exc:
        assert "DOCTYPE" in exc.message_en and "DOCTYPE" in exc.message_zh
        tally.count("hostile")
    else:  # pragma: no cover
        raise AssertionError("a DOCTYPE got through")
