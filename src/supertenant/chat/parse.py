"""Sentence → `Frame`: the slots the planner found (metrics, dimensions, filters, time, chart words).

Passes, each replacing what it consumed with a placeholder so later passes cannot re-read it:
quoted names → comparisons ("vs last year", 前年比) → time expressions → lexicon scan. The scan's
hits and the words between them form a token sequence, and a small resolver reads the sequence for
what single words cannot say: which noun a value belongs to ("search campaigns", "配信中のキャンペーン"),
what a negation covers ("excluding mobile", "モバイル以外"), which number is a top-N ("top 5",
"上位5件"), and "by X" where X is not a known column (named in the clarifying question).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from supertenant.chat import lexicon_words as words
from supertenant.chat.lexicon import (
    Entry,
    Hit,
    Kind,
    Lexicon,
    Match,
    global_entries,
    global_lexicon,
    original_case,
)
from supertenant.chat.text import COMPARE_SLOT, QUOTE_SLOT, TIME_SLOT, fold, has_japanese, normalise
from supertenant.chat.timeexpr import TimeHit, extract
from supertenant.chat.vocabulary import VALUE_COLUMNS, TenantVocabulary

_QUOTES = re.compile(
    r'"([^"]{1,80})"|“([^”]{1,80})”|「([^」]{1,80})」|『([^』]{1,80})』|(?<![A-Za-z])\'([^\']{1,80})\'(?![A-Za-z])'
)
_COMPARISONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), meaning)
    for pattern, meaning in (
        (
            r"\b(?:vs\.?|versus|compared\s+(?:to|with)|against|relative\s+to|over)\s+(?:the\s+)?(?:same\s+"
            r"(?:period|day|time|week|month)\s+)?(?:last|previous|prior|a)\s+year(?:'s)?\b",
            "previous_year",
        ),
        (r"\b(?:yoy|y/y|year[\s-]over[\s-]year|year[\s-]on[\s-]year)\b", "previous_year"),
        (
            r"前年(?:同期|同月|同日|同曜日|同週)?(?:比|対比)|昨年(?:同期)?比|去年比|(?:前年|昨年|去年)と(?:の)?比較",
            "previous_year",
        ),
        (
            r"\b(?:vs\.?|versus|compared\s+(?:to|with)|against|relative\s+to)\s+(?:the\s+)?"
            r"(?:previous|prior|last)\s+(?:period|week)\b",
            "previous_period",
        ),
        (
            r"\b(?:wow|w/w|week[\s-]over[\s-]week|week[\s-]on[\s-]week|period[\s-]over[\s-]period)\b",
            "previous_period",
        ),
        (r"前週(?:同曜日)?比|先週比|前期比|前期間比|(?:前週|先週|前期)と(?:の)?比較", "previous_period"),
        (
            r"\b(?:vs\.?|versus|compared\s+(?:to|with)|against)\s+(?:the\s+)?(?:last|previous|prior)\s+"
            r"(?:month|quarter)\b|\b(?:mom|m/m|month[\s-]over[\s-]month|qoq|quarter[\s-]over[\s-]quarter)\b",
            "unsupported",
        ),
        (r"前月比|先月比|前四半期比|(?:前月|先月)と(?:の)?比較", "unsupported"),
    )
)
# A threshold on a number ("over 100", "> 5", "5,000円以上", CVが0の): no template filters on
# aggregated metrics, so these are asked about instead of silently dropped. Time spans are already
# taken out of the text, and numbers followed by a time unit are not thresholds.
_NUMBER = r"[$¥€£]?\d[\d,]*(?:\.\d+)?(?!\d|[,.]\d)(?:\s*(?:k|万|千|億))?"
_CONDITIONS = re.compile(
    r"(?:\b(?:over|above|below|under|exceeding|(?:more|less|greater|fewer|higher|lower)\s+than|"
    r"at\s+(?:least|most))\s+|[<>]=?\s*|=\s*)"
    + _NUMBER
    + r"(?!\s*(?:days?|weeks?|months?|years?|quarters?|campaigns?|keywords?|ad\s+groups?|regions?|rows?)\b)"
    + r"|"
    + _NUMBER
    + r"\s*(?:円|件|回|%|人)?\s*(?:以上|以下|未満|超え|超|を超え|より(?:多|少|高|低|大き|小さ))"
    + r"|(?:が|は)\s*0\s*(?:件|円|回)?\s*(?:の|で|だった)"
    + r"|\bwith\s+(?:0|zero)\s+(?=[a-z])"
)
_BY_PREFIX = re.compile(r"^(?:by|per)\s+")
_HOW_DID_IT_DO = re.compile(
    r"\bhow(?:'s|\s+(?:did|is|are|was|were|has|have)\b)(?:\s+\S+){1,8}?\s+"
    r"(?:do|doing|done|go|going|gone|fare|fared|faring)\b"
    r"|(?:は|って|の)どう(?:だった|でした|ですか|なってる|なっている|なって|[?？]|$)"
)
_GAP_TOKENS = re.compile(
    r"[\ue001-\ue003]|\d+(?:\.\d+)?|[a-z][a-z']*|[\u30a0-\u30ffー]+|[\u3400-\u4dbf\u4e00-\u9fff々]+|[\u3041-\u309f]+"
)
_EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "fifty": 50, "hundred": 100,
}  # fmt: skip
_CONTEXT_NOUN_COLUMNS = frozenset({"keyword_text", "ad_group_name"})  # full names need their noun too
_SKIPPABLE = frozenset({"the", "a", "an", "our", "my", "all", "your", "系", "of", "関連", "related"})


@dataclass
class Token:
    """One unit of the sentence after the passes; `entry` is the meaning the resolver chose."""

    kind: str  # lex | time | quote | compare | number | word | particle
    text: str
    hit: Hit | None = None
    entry: Entry | None = None
    number: int = 0
    slot: int = 0  # index into the frame's times / quotes / comparisons
    consumed: bool = False
    negated: bool = False

    @property
    def is_noun(self) -> bool:
        return self.entry is not None and self.entry.kind is Kind.DIMENSION

    def is_(self, kind: Kind) -> bool:
        return self.entry is not None and self.entry.kind is kind


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """A filter the sentence asks for, before it is checked against the chosen dataset."""

    column: str
    op: str
    values: tuple[str, ...]

    def to_params(self) -> dict[str, object]:
        if self.op in ("IN", "NOT IN") or len(self.values) > 1:
            op = self.op if self.op in ("IN", "NOT IN") else ("NOT IN" if self.op == "!=" else "IN")
            return {"column": self.column, "op": op, "value": list(self.values)}
        return {"column": self.column, "op": self.op, "value": self.values[0]}


@dataclass
class Frame:
    """Everything the sentence said, slot by slot, plus what the planner could not place."""

    text: str
    times: list[TimeHit] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)
    weak_dimensions: list[str] = field(default_factory=list)
    filters: list[FilterSpec] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    grains: list[str] = field(default_factory=list)
    time_units: list[str] = field(default_factory=list)  # "month" in "region × month": pivot columns
    orders: list[str] = field(default_factory=list)
    top_n: int | None = None
    row_limit: int | None = None
    compare: str | None = None
    compare_text: str = ""
    comparing: bool = False
    generic: bool = False
    sort_metric: str | None = None
    datasets: list[str] = field(default_factory=list)
    unknown_metrics: list[tuple[str, str | None]] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    unknown_by: list[str] = field(default_factory=list)
    unknown_values: list[tuple[str, list[str]]] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)  # "CPA over 5,000", CVが0の: not supported
    stray_numbers: list[int] = field(default_factory=list)
    ambiguous_values: int = 0
    skeleton: str = ""


def parse(raw: str, vocabulary: TenantVocabulary, lexicon: Lexicon, today: date) -> Frame:
    """The frame of one sentence for one tenant."""
    quotes: list[str] = []

    def quote(match: re.Match[str]) -> str:
        quotes.append(next(group for group in match.groups() if group is not None).strip())
        return f" {QUOTE_SLOT} "

    text = _QUOTES.sub(quote, unicodedata.normalize("NFKC", raw))
    text = normalise(text)
    frame = Frame(text=text)
    text = _comparisons(text, frame)
    frame.times, text = extract(text, today)
    frame.conditions = [match.group(0).strip() for match in _CONDITIONS.finditer(text)]
    tokens = _tokens(_correct_spelling(fold(text), lexicon), lexicon)
    _Resolver(tokens, frame, vocabulary, quotes).run()
    if _HOW_DID_IT_DO.search(text):
        frame.generic = True  # "how did X do?", 〜はどうだった？: X's performance
    return frame


def _comparisons(text: str, frame: Frame) -> str:
    for pattern, meaning in _COMPARISONS:
        match = pattern.search(text)
        if match and frame.compare is None:
            frame.compare, frame.compare_text = meaning, match.group(0)
            text = text[: match.start()] + f" {COMPARE_SLOT} " + text[match.end() :]
    return text


_ASCII_WORD = re.compile(r"(?<![a-z0-9])[a-z]+(?![a-z0-9'])")


def _correct_spelling(text: str, lexicon: Lexicon) -> str:
    """Misspelt words outside every alias hit replaced by the one alias they are an edit away from."""
    fixes = {
        match.span(): fixed
        for match in _ASCII_WORD.finditer(text)
        if (fixed := lexicon.correct(match.group(0))) is not None
    }
    if not fixes:
        return text
    for hit in lexicon.scan(text):  # a word inside an alias ("… getaways – generic") stays
        fixes = {span: fix for span, fix in fixes.items() if not (span[0] < hit.end and hit.start < span[1])}
    for (start, end), fixed in sorted(fixes.items(), reverse=True):
        text = text[:start] + fixed + text[end:]
    return text


def _tokens(text: str, lexicon: Lexicon) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    for hit in lexicon.scan(text):
        tokens.extend(_gap(text[position : hit.start]))
        tokens.append(Token("lex", hit.text, hit=hit))
        position = hit.end
    tokens.extend(_gap(text[position:]))
    return tokens


def _gap(text: str) -> list[Token]:
    tokens: list[Token] = []
    for piece in _GAP_TOKENS.findall(text):
        if piece == TIME_SLOT:
            tokens.append(Token("time", piece))
        elif piece == QUOTE_SLOT:
            tokens.append(Token("quote", piece))
        elif piece == COMPARE_SLOT:
            tokens.append(Token("compare", piece))
        elif piece[0].isdigit():
            tokens.append(Token("number", piece, number=int(float(piece))))
        elif piece in _EN_NUMBERS:
            tokens.append(Token("number", piece, number=_EN_NUMBERS[piece]))
        elif "\u3041" <= piece[0] <= "\u309f":
            tokens.append(Token("particle", piece))
        else:
            tokens.append(Token("word", piece))
    return tokens


class _Resolver:
    """Reads the token sequence: chooses meanings, links values to nouns, scopes negations."""

    def __init__(
        self,
        tokens: list[Token],
        frame: Frame,
        vocabulary: TenantVocabulary,
        quotes: Sequence[str],
    ) -> None:
        self.tokens = tokens
        self.frame = frame
        self.vocabulary = vocabulary
        self.quotes = list(quotes)
        self.nouns = {
            t.hit.entries[0].value for t in tokens if t.hit and t.hit.entries[0].kind is Kind.DIMENSION
        }

    def run(self) -> None:
        self._number_slots()
        self._choose_meanings()
        self._quotes()
        self._carriers()
        self._negations()
        self._numbers()
        self._by_phrases()
        self._collect()

    # --- meanings ---------------------------------------------------------------------------

    def _number_slots(self) -> None:
        counters = {"time": 0, "quote": 0, "compare": 0}
        for token in self.tokens:
            if token.kind in counters:
                token.slot = counters[token.kind]
                counters[token.kind] += 1

    def _choose_meanings(self) -> None:
        index = 0
        while index < len(self.tokens):
            token = self.tokens[index]
            if token.kind == "lex" and token.hit is not None and token.entry is None:
                entry = self._choose(index, token.hit.entries)
                if entry is None:
                    replacement = self._rescan(token)
                    self.tokens[index : index + 1] = replacement
                    continue
                token.entry = entry
            index += 1

    def _choose(self, index: int, entries: Sequence[Entry]) -> Entry | None:
        values = [entry for entry in entries if entry.kind is Kind.VALUE and self._value_fits(index, entry)]
        if values:
            best = sorted(values, key=lambda entry: self._value_rank(index, entry))
            if len({entry.column for entry in best}) > 1 and not self._adjacent_noun(index, best[0]):
                self.frame.ambiguous_values += 1
            return best[0]
        return next((entry for entry in entries if entry.kind is not Kind.VALUE), None)

    def _value_fits(self, index: int, entry: Entry) -> bool:
        if entry.match is Match.FULL:
            if entry.column in _CONTEXT_NOUN_COLUMNS:
                return bool(self.nouns & set(words.CARRIERS[str(entry.column)])) or self._near_only(index)
            return True
        if self._adjacent_noun(index, entry):
            return True
        return entry.match is Match.CONTEXT and (
            self._near_only(index) or self._listed_with_value(index, entry)
        )

    def _value_rank(self, index: int, entry: Entry) -> tuple[int, int, int]:
        adjacent = 0 if self._adjacent_noun(index, entry) else 1
        strength = (Match.FULL, Match.CONTEXT, Match.PART, Match.SHARED).index(entry.match)
        column = entry.column or ""
        order = VALUE_COLUMNS.index(column) if column in VALUE_COLUMNS else len(VALUE_COLUMNS)
        return adjacent, strength, order

    def _rescan(self, token: Token) -> list[Token]:
        """A tenant name that needs context it did not get: read its words as ordinary words."""
        if token.text in global_entries():
            return [Token("word", part) for part in token.text.split(" ") if part]
        return _tokens(token.text, global_lexicon())

    # --- neighbours -------------------------------------------------------------------------

    def _neighbour(self, index: int, step: int) -> int | None:
        """The next token in direction `step`, skipping particles (の, を) and articles."""
        position = index + step
        while 0 <= position < len(self.tokens):
            token = self.tokens[position]
            if not (token.kind == "particle" or token.text in _SKIPPABLE):
                return position
            position += step
        return None

    def _noun_column(self, position: int | None) -> str | None:
        if position is None:
            return None
        token = self.tokens[position]
        if token.hit is not None and token.hit.entries[0].kind is Kind.DIMENSION:
            return token.hit.entries[0].value
        return None

    def _carrier_columns(self, entry: Entry) -> tuple[str, ...]:
        if entry.column == "status":
            return ("campaign_name", "ad_group_name", "campaign_status", "ad_group_status")
        return words.CARRIERS.get(str(entry.column), (str(entry.column),))

    def _adjacent_noun(self, index: int, entry: Entry) -> bool:
        carriers = self._carrier_columns(entry)
        return any(self._noun_column(self._neighbour(index, step)) in carriers for step in (1, -1))

    def _listed_with_value(self, index: int, entry: Entry) -> bool:
        """Listed with a clear value of the same column: 検索とディスプレイ, exact and phrase match."""
        for step in (1, -1):
            position = self._neighbour(index, step)
            if position is None or not self._kinds(position) & {Kind.AND}:
                continue
            other = self._neighbour(position, step)
            if other is not None and any(
                found.kind is Kind.VALUE and found.column == entry.column and found.match is not Match.CONTEXT
                for found in self._entries(other)
            ):
                return True
        return False

    def _entries(self, position: int) -> tuple[Entry, ...]:
        token = self.tokens[position]
        if token.entry is not None:
            return (token.entry,)
        return token.hit.entries if token.hit is not None else ()

    def _kinds(self, position: int) -> set[Kind]:
        return {entry.kind for entry in self._entries(position)}

    def _near_only(self, index: int) -> bool:
        """A value followed by "only"/のみ/だけ ("検索のみ", "mobile only") needs no noun."""
        after = self._neighbour(index, 1)
        return after is not None and Kind.ONLY in self._kinds(after)

    # --- quotes, carriers, negations, numbers ---------------------------------------------------

    def _quotes(self) -> None:
        for index, token in enumerate(self.tokens):
            if token.kind != "quote":
                continue
            text = self.quotes[token.slot] if token.slot < len(self.quotes) else ""
            known = self._known_value(text, index)
            if known is not None:
                token.entry = known
                continue
            contains = self._contains_at(index)
            beyond = (
                self._neighbour(contains, 1 if contains > index else -1) if contains is not None else None
            )
            noun = (
                self._noun_column(self._neighbour(index, 1))
                or self._noun_column(self._neighbour(index, -1))
                or self._noun_column(beyond)
            )
            pattern = self._like(text, noun) if noun is not None else None
            if pattern is not None:
                token.entry = Entry(Kind.VALUE, pattern, noun, Match.SHARED)
            else:
                self.frame.unknown_values.append((text, self._close_values(text)))

    def _like(self, text: str, column: str) -> str | None:
        """A LIKE pattern for a quoted part of a name, spelled as stored; None if no name has it."""
        target = fold(text)
        names = [
            value for value in self.vocabulary.values.get(column, ()) if target and target in fold(value)
        ]
        spelling = original_case(target, names) if names else None
        return f"%{spelling}%" if spelling else None

    def _known_value(self, text: str, index: int) -> Entry | None:
        target = fold(text)
        matches = [
            Entry(Kind.VALUE, value, column)
            for column in VALUE_COLUMNS
            for value in self.vocabulary.values.get(column, ())
            if fold(value) == target
        ]
        if not matches:
            return None
        adjacent = [entry for entry in matches if self._adjacent_noun(index, entry)]
        return (adjacent or matches)[0]

    def _contains_at(self, index: int) -> int | None:
        """Where "containing" / を含む stands next to a quote, if it does."""
        for step, kind in ((-1, Kind.CONTAINS_BEFORE), (1, Kind.CONTAINS_AFTER)):
            position = self._neighbour(index, step)
            if position is not None and self.tokens[position].is_(kind):
                return position
        return None

    def _close_values(self, text: str) -> list[str]:
        pool = [
            value
            for column in ("campaign_name", "ad_group_name", "region")
            for value in self.vocabulary.values.get(column, ())
        ]
        folded = {fold(value): value for value in pool}
        near = difflib.get_close_matches(fold(text), list(folded), n=3, cutoff=0.4)
        return [folded[name] for name in near]

    def _carriers(self) -> None:
        """Link each value to the noun next to it: consume it, or keep it as a weak dimension."""
        for index, token in enumerate(self.tokens):
            entry = token.entry
            if entry is None or entry.kind is not Kind.VALUE:
                continue
            noun_column = None
            for step in (1, -1):
                position = self._neighbour(index, step)
                column = self._noun_column(position)
                if position is None or column is None or column not in self._carrier_columns(entry):
                    continue
                if not self.tokens[position].consumed:
                    self.tokens[position].consumed = True
                    noun_column = column
                    break
            if entry.column == "status":
                ad_group = noun_column in ("ad_group_name", "ad_group_status") or (
                    noun_column is None and "ad_group_name" in self.nouns
                )
                entry = Entry(
                    Kind.VALUE, entry.value, "ad_group_status" if ad_group else "campaign_status", entry.match
                )
                token.entry = entry
            if noun_column is not None and noun_column != entry.column:
                _append(self.frame.weak_dimensions, noun_column)

    def _negations(self) -> None:
        for index, token in enumerate(self.tokens):
            if token.is_(Kind.NEGATE_BEFORE):
                self._negate_run(index, 1)
            elif token.is_(Kind.NEGATE_AFTER):
                self._negate_run(index, -1)

    def _negate_run(self, index: int, step: int) -> None:
        position = self._neighbour(index, step)
        while position is not None:
            token = self.tokens[position]
            if token.is_(Kind.VALUE):
                token.negated = True
            elif not (token.is_(Kind.AND) or token.consumed or token.is_noun):
                return
            position = self._neighbour(position, step)

    def _numbers(self) -> None:
        for index, token in enumerate(self.tokens):
            if token.kind != "number" or not 0 < token.number <= 100000:
                continue
            before, after = self._neighbour(index, -1), self._neighbour(index, 1)
            before_entry = self.tokens[before].entry if before is not None else None
            after_token = self.tokens[after] if after is not None else None
            if after_token is not None and after_token.is_(Kind.ROW_COUNTER):
                self.frame.row_limit = token.number
            elif (
                (before_entry is not None and before_entry.kind is Kind.ORDER)
                or (
                    before_entry is not None
                    and before_entry.kind is Kind.CHART
                    and before_entry.value == "ranking"
                )
                or (after_token is not None and (after_token.is_(Kind.COUNTER) or after_token.is_noun))
            ):
                self.frame.top_n = token.number
            else:
                self.frame.stray_numbers.append(token.number)

    def _by_phrases(self) -> None:
        """Unknown X in "by X" / "X別" is named in the question; "by CTR" / "CTR順" sort by a metric."""
        for index, token in enumerate(self.tokens):
            if token.is_(Kind.SORT_AFTER):
                before = self._neighbour(index, -1)
                entry = self.tokens[before].entry if before is not None else None
                if entry is not None and entry.kind is Kind.METRIC:
                    self.frame.sort_metric = self.frame.sort_metric or entry.value
                continue
            if not token.is_(Kind.BY):
                continue
            japanese = has_japanese(token.text)
            position = self._neighbour(index, -1 if japanese else 1)
            if position is None:
                continue
            other = self.tokens[position]
            if other.kind == "word" and not other.text.isdigit():
                phrase = [other.text]
                if not japanese:  # "by product category": up to two more unknown words
                    nxt = self._neighbour(position, 1)
                    if nxt is not None and self.tokens[nxt].kind == "word":
                        phrase.append(self.tokens[nxt].text)
                self.frame.unknown_by.append(" ".join(phrase))
                other.consumed = True
            elif other.is_(Kind.METRIC) and other.entry is not None and not japanese:
                self.frame.sort_metric = self.frame.sort_metric or other.entry.value

    # --- collecting -------------------------------------------------------------------------

    def _collect(self) -> None:
        frame = self.frame
        values: dict[tuple[str, bool], list[str]] = {}
        likes: list[FilterSpec] = []
        skeleton: list[str] = []
        for token in self.tokens:
            skeleton.append("" if token.consumed and token.is_noun else self._skeleton_code(token))
            entry = token.entry
            if token.kind == "word" and not token.consumed:
                if _is_content(token.text):
                    frame.leftovers.append(token.text)
                continue
            if entry is None:
                continue
            kind = entry.kind
            if kind is Kind.METRIC:
                _append(frame.metrics, entry.value)
            elif kind is Kind.DIMENSION and not token.consumed:
                _append(frame.dimensions, entry.value)
            elif kind is Kind.VALUE and entry.column:
                if entry.match is Match.SHARED:
                    pattern = entry.value if "%" in entry.value else f"%{entry.value}%"
                    likes.append(FilterSpec(entry.column, "LIKE", (pattern,)))
                else:
                    _append(values.setdefault((entry.column, token.negated), []), entry.value)
            elif kind is Kind.CHART:
                _append(frame.charts, entry.value)
            elif kind is Kind.STYLE:
                _append(frame.styles, entry.value)
            elif kind is Kind.GRAIN:
                _append(frame.grains, entry.value)
            elif kind is Kind.TIME_UNIT:
                _append(frame.time_units, entry.value)
            elif kind is Kind.ORDER:
                frame.orders.append(entry.value)
            elif kind is Kind.GENERIC:
                frame.generic = True
            elif kind is Kind.COMPARE:
                frame.comparing = True
            elif kind is Kind.DATASET:
                _append(frame.datasets, entry.value)
            elif kind is Kind.UNKNOWN_METRIC:
                frame.unknown_metrics.append((token.text, entry.suggestion))
            elif kind is Kind.UNAVAILABLE:
                frame.unavailable.append(_BY_PREFIX.sub("", token.text))
        for (column, negated), found in values.items():
            if negated:
                frame.filters.append(FilterSpec(column, "!=" if len(found) == 1 else "NOT IN", tuple(found)))
            else:
                frame.filters.append(FilterSpec(column, "==" if len(found) == 1 else "IN", tuple(found)))
        frame.filters.extend(dict.fromkeys(likes))
        frame.skeleton = " ".join(code for code in skeleton if code)

    @staticmethod
    def _skeleton_code(token: Token) -> str:
        if token.kind in ("time", "quote", "compare", "number"):
            return {"time": "T", "quote": "V", "compare": "C", "number": "N"}[token.kind]
        entry = token.entry
        if entry is None:
            return token.text if token.kind == "word" else ""
        codes = {Kind.METRIC: "M", Kind.DIMENSION: "D", Kind.VALUE: "V", Kind.STOP: ""}
        return codes.get(entry.kind, token.text)


def _append(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def _is_content(word: str) -> bool:
    """A left-over word that should have meant something (not a particle, symbol or short word)."""
    if has_japanese(word):
        return len(word) >= 2
    return len(word) >= 3 and word.isalpha()
