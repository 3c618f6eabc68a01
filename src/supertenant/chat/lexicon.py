"""The per-tenant lexicon: every alias the planner knows, and a leftmost-longest scanner over text.

Aliases come from `lexicon_words` (global, both languages) and from the tenant's vocabulary (its
campaign, ad group, keyword and region names). A name is matched in full ("Search | Beach Resorts –
Sale", "ブランド指名検索"), by a part only that name has ("summer sale" → "Display | Summer Sale"), or
by a word several names share ("sale campaigns" → LIKE '%Sale%'); the partial forms need a noun of
their column next to them, which the parser checks. No tokenizer: aliases are matched as substrings,
with ASCII word boundaries so "cost" never matches inside "costume".
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from supertenant.chat import lexicon_words as words
from supertenant.chat.text import fold, has_japanese, squash
from supertenant.chat.vocabulary import TenantVocabulary


class Kind(StrEnum):
    METRIC = "metric"
    DIMENSION = "dimension"
    VALUE = "value"
    CHART = "chart"
    GRAIN = "grain"
    TIME_UNIT = "time_unit"
    STYLE = "style"
    ORDER = "order"
    KPI = "kpi"
    GENERIC = "generic"
    NEGATE_BEFORE = "negate_before"
    NEGATE_AFTER = "negate_after"
    CONTAINS_BEFORE = "contains_before"
    CONTAINS_AFTER = "contains_after"
    COMPARE = "compare"
    BY = "by"
    AND = "and"
    COUNTER = "counter"
    ROW_COUNTER = "row_counter"
    ONLY = "only"
    SORT_AFTER = "sort_after"
    UNKNOWN_METRIC = "unknown_metric"
    UNAVAILABLE = "unavailable"
    DATASET = "dataset"
    STOP = "stop"


class Match(StrEnum):
    """How a value alias matched its value."""

    FULL = "full"  # the whole name
    PART = "part"  # a part only this name has
    SHARED = "shared"  # a word several names share: a LIKE filter
    CONTEXT = "context"  # an ordinary word that is a value only next to its noun


@dataclass(frozen=True, slots=True)
class Entry:
    """What an alias means. For values, `value` is the stored value (or the LIKE word) of `column`."""

    kind: Kind
    value: str
    column: str | None = None
    match: Match = Match.FULL
    suggestion: str | None = None


# Several entries can share an alias ("display": a campaign type next to "campaign", else filler);
# the parser tries them in this order.
_PRIORITY = {kind: index for index, kind in enumerate(Kind)}


@dataclass(frozen=True, slots=True)
class Hit:
    """One alias found in the text: its span and every entry it may stand for."""

    start: int
    end: int
    text: str
    entries: tuple[Entry, ...]


@dataclass
class Lexicon:
    """Aliases (folded) → entries, indexed by first character for a fast leftmost-longest scan."""

    entries: Mapping[str, tuple[Entry, ...]]
    _by_first: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)
    _by_length: dict[int, list[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, list[str]] = defaultdict(list)
        lengths: dict[int, list[str]] = defaultdict(list)
        for alias, found in self.entries.items():
            index[alias[0]].append(alias)
            if (
                len(alias) >= MIN_TYPO_LENGTH
                and _SPELLING_WORD.fullmatch(alias)
                and any(entry.kind in _SPELLING_KINDS for entry in found)
            ):
                lengths[len(alias)].append(alias)
        self._by_first = {char: sorted(aliases, key=len, reverse=True) for char, aliases in index.items()}
        self._by_length = dict(lengths)

    def correct(self, word: str) -> str | None:
        """The one alias a misspelt word stands for ("campain" → "campaign"), or None.

        Only ASCII words of at least `MIN_TYPO_LENGTH` letters that no alias matches, against
        single-word aliases of the same minimum length naming a metric, column, value, chart word,
        grain, unknown metric or unavailable data; one edit (insertion, deletion, substitution or
        swap of two neighbours), and only when every alias that close means the same.
        """
        if len(word) < MIN_TYPO_LENGTH or word in self.entries or not _SPELLING_WORD.fullmatch(word):
            return None
        found = [
            alias
            for size in (len(word) - 1, len(word), len(word) + 1)
            for alias in self._by_length.get(size, ())
            if _one_edit(word, alias)
        ]
        meanings = {self.entries[alias] for alias in found}
        return min(found, key=len) if len(meanings) == 1 else None  # "tablett": tablet ≡ tablets

    def scan(self, text: str) -> list[Hit]:
        """Non-overlapping hits, leftmost first and longest at each position."""
        hits: list[Hit] = []
        position, size = 0, len(text)
        while position < size:
            found = self._longest_at(text, position)
            if found is None:
                position += 1
                continue
            hits.append(Hit(position, position + len(found), found, self.entries[found]))
            position += len(found)
        return hits

    def _longest_at(self, text: str, position: int) -> str | None:
        if position > 0 and _is_word_char(text[position - 1]) and _is_word_char(text[position]):
            return None  # never start inside an ASCII word
        for alias in self._by_first.get(text[position], ()):
            end = position + len(alias)
            if text.startswith(alias, position) and not (
                _is_word_char(alias[-1]) and end < len(text) and _is_word_char(text[end])
            ):
                return alias
        return None


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


# Spelling correction: long enough that one edit rarely turns one real word into another.
MIN_TYPO_LENGTH = 6
_SPELLING_WORD = re.compile(r"[a-z]+")
_SPELLING_KINDS = frozenset(
    {
        Kind.METRIC,
        Kind.DIMENSION,
        Kind.VALUE,
        Kind.CHART,
        Kind.GRAIN,
        Kind.STYLE,
        Kind.UNKNOWN_METRIC,
        Kind.UNAVAILABLE,
    }
)


def _one_edit(word: str, alias: str) -> bool:
    """Exactly one insertion, deletion, substitution or transposition of neighbours apart."""
    if word == alias:
        return False
    if len(word) == len(alias):
        diff = [i for i, (a, b) in enumerate(zip(word, alias, strict=True)) if a != b]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == alias[diff[1]]
            and word[diff[1]] == alias[diff[0]]
        )
    short, long = (word, alias) if len(word) < len(alias) else (alias, word)
    if len(long) - len(short) != 1:
        return False
    index = next((i for i, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    return short[index:] == long[index + 1 :]


# --- building -----------------------------------------------------------------------------------


def _plural(alias: str) -> list[str]:
    """An English noun alias and its plural ("campaign" → "campaigns", "country" → "countries")."""
    if not alias.isascii() or not alias[-1].isalpha() or alias.endswith("s"):
        return [alias]
    if alias.endswith("y") and alias[-2:-1] not in ("a", "e", "o", "u"):
        return [alias, alias[:-1] + "ies"]
    return [alias, alias + "s"]


class _Builder:
    def __init__(self) -> None:
        self.table: dict[str, list[Entry]] = defaultdict(list)

    def add(self, aliases: Iterable[str], entry: Entry, *, plural: bool = False) -> None:
        for alias in aliases:
            for form in _plural(alias) if plural else [alias]:
                key = fold(form)
                if key and entry not in self.table[key]:
                    self.table[key].append(entry)

    def freeze(self) -> dict[str, tuple[Entry, ...]]:
        return {
            alias: tuple(sorted(found, key=lambda entry: _PRIORITY[entry.kind]))
            for alias, found in self.table.items()
        }


def _global(builder: _Builder) -> None:
    for metric, aliases in words.METRICS.items():
        builder.add((metric, *aliases), Entry(Kind.METRIC, metric), plural=True)
    for column, aliases in words.DIMENSIONS.items():
        builder.add(aliases, Entry(Kind.DIMENSION, column), plural=True)
    for (column, value), aliases in words.ENUM_VALUES.items():
        builder.add(aliases, Entry(Kind.VALUE, value, column), plural=True)
    for (column, value), aliases in words.CONTEXT_WORDS.items():
        builder.add(aliases, Entry(Kind.VALUE, value, column, Match.CONTEXT), plural=True)
        for alias in aliases:  # without its noun, a context word is filler
            builder.add([alias], Entry(Kind.STOP, fold(alias)), plural=True)
    for region, aliases in words.REGION_NAMES_JA.items():
        builder.add(aliases, Entry(Kind.VALUE, region, "region"))
    for grain, aliases in words.TIME_GRAINS.items():
        builder.add(aliases, Entry(Kind.GRAIN, grain))
    for unit, aliases in words.TIME_UNITS.items():
        builder.add(aliases, Entry(Kind.TIME_UNIT, unit))
    for chart, aliases in words.CHART_WORDS.items():
        builder.add(aliases, Entry(Kind.CHART, chart))
    for style, aliases in words.STYLES.items():
        builder.add(aliases, Entry(Kind.STYLE, style))
    for order, aliases in words.ORDERS.items():
        builder.add(aliases, Entry(Kind.ORDER, order))
    for dataset, aliases in words.CONTRACT_DATASET_WORDS.items():
        builder.add(aliases, Entry(Kind.DATASET, dataset))
    for alias, suggestion in words.UNKNOWN_METRICS.items():
        builder.add([alias], Entry(Kind.UNKNOWN_METRIC, alias, suggestion=suggestion), plural=True)
    simple: tuple[tuple[Kind, tuple[str, ...], bool], ...] = (
        (Kind.KPI, words.KPI_WORDS, False),
        (Kind.GENERIC, words.GENERIC_WORDS, False),
        (Kind.NEGATE_BEFORE, words.NEGATE_BEFORE, False),
        (Kind.NEGATE_AFTER, words.NEGATE_AFTER, False),
        (Kind.CONTAINS_BEFORE, words.CONTAINS_BEFORE, False),
        (Kind.CONTAINS_AFTER, words.CONTAINS_AFTER, False),
        (Kind.COMPARE, words.COMPARE_WORDS, False),
        (Kind.BY, words.BY_WORDS, False),
        (Kind.AND, words.AND_WORDS, False),
        (Kind.COUNTER, words.COUNTERS, False),
        (Kind.ROW_COUNTER, words.ROW_COUNTERS, False),
        (Kind.ONLY, words.ONLY_WORDS, False),
        (Kind.SORT_AFTER, words.SORT_AFTER, False),
        (Kind.UNAVAILABLE, words.UNAVAILABLE, True),
        (Kind.STOP, words.STOP_WORDS, False),
    )
    for kind, aliases, plural in simple:
        for alias in aliases:
            builder.add([alias], Entry(kind, fold(alias)), plural=plural)
    for alias in words.UNAVAILABLE:  # "by day of week" must not be read as "by day" + leftovers
        if alias.isascii():
            builder.add([f"by {alias}", f"per {alias}"], Entry(Kind.UNAVAILABLE, fold(alias)), plural=True)


@functools.cache
def global_entries() -> dict[str, tuple[Entry, ...]]:
    """The tenant-independent aliases (built once)."""
    builder = _Builder()
    _global(builder)
    return builder.freeze()


@functools.cache
def global_lexicon() -> Lexicon:
    """A lexicon without tenant names: re-reads a name that turned out not to be one."""
    return Lexicon(global_entries())


# Free-text columns whose stored values are names a user may type. Short codes such as "US" or
# "SEARCH" are not listed: as aliases they would turn "show us" or "search" into filters.
NAME_COLUMNS: tuple[str, ...] = ("campaign_name", "ad_group_name", "keyword_text", "region")

_PART_SPLIT = re.compile(r"[\u30a0-\u30ffー]+|[\u3400-\u4dbf\u4e00-\u9fff々]+|[a-z0-9]+")
_MIN_PART = {True: 2, False: 4}  # characters: Japanese parts may be short, English ones not


def _name_parts(value: str) -> list[str]:
    """The word sequences of a name a user might write on their own ("summer sale", "競合対策")."""
    folded = fold(value)
    segments = folded.split(" ")
    parts: set[str] = set()
    for size in range(1, len(segments)):
        for start in range(len(segments) - size + 1):
            parts.add(" ".join(segments[start : start + size]))
    for segment in segments:  # Japanese: katakana and kanji runs inside one segment
        runs = _PART_SPLIT.findall(segment)
        if len(runs) > 1:
            parts.update(runs)
    return [part for part in parts if len(part) >= _MIN_PART[has_japanese(part)]]


def build(vocabulary: TenantVocabulary) -> Lexicon:
    """The lexicon for one tenant: global aliases plus the names found in its warehouse."""
    builder = _Builder()
    builder.table.update({alias: list(found) for alias, found in global_entries().items()})
    known = set(global_entries())
    for (
        column
    ) in NAME_COLUMNS:  # enum columns (device, type…) come from the global tables, with context rules
        values = vocabulary.values.get(column, ())
        for value in values:
            for alias in {fold(value), squash(value) if has_japanese(value) else fold(value)}:
                builder.add([alias], Entry(Kind.VALUE, value, column))
        if column in ("campaign_name", "ad_group_name"):
            _add_parts(builder, column, values, known)
    for account in vocabulary.account_ids:
        builder.add([account, account.replace("-", "")], Entry(Kind.VALUE, account, "account_id"))
    for own in {vocabulary.slug, vocabulary.slug.replace("-", " "), vocabulary.name} - {""}:
        builder.add([own], Entry(Kind.STOP, fold(own)))  # "Northwind Outdoor Inc. cost" is about us
    return Lexicon(builder.freeze())


def _add_parts(builder: _Builder, column: str, values: Iterable[str], known: set[str]) -> None:
    """Parts unique to one name match it; parts shared by several become a LIKE on that word."""
    owners: dict[str, set[str]] = defaultdict(set)
    for value in values:
        for part in _name_parts(value):
            if part not in known:
                owners[part].add(value)
    for part, names in owners.items():
        if len(names) == 1:
            builder.add([part], Entry(Kind.VALUE, next(iter(names)), column, Match.PART))
        elif (original := original_case(part, names)) is not None:
            builder.add([part], Entry(Kind.VALUE, original, column, Match.SHARED))


def original_case(part: str, names: Iterable[str]) -> str | None:
    """The part as the names spell it (LIKE is case-sensitive); None if they disagree."""
    spellings = set()
    for name in names:
        found = re.search(re.escape(part).replace(r"\ ", r"[\s|_\-–—/・:]+"), name, re.IGNORECASE)
        if found is None:
            return None
        spellings.add(found.group(0))
    return spellings.pop() if len(spellings) == 1 else None
