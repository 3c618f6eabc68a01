"""Checks that run before any parsing: prompt injection, SQL, and other tenants' data.

These refuse outright, whatever else the sentence asks: a request that carries SQL or tries to
change the assistant's instructions is not answered with "the closest chart", and naming another
tenant or an account id the tenant does not own is never narrowed down to the tenant's own data
silently. Everything works on `text.normalise`d input, so full-width or upper-case tricks do not help.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from supertenant.chat.text import fold
from supertenant.chat.vocabulary import TenantVocabulary
from supertenant.warehouse.contract import VIEW_NAMES


@dataclass(frozen=True, slots=True)
class Violation:
    """Why a request is refused: a code and the offending words (for the message)."""

    code: str
    found: str


_INJECTION = re.compile(
    "|".join(
        (
            r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.。]{0,40}?"
            r"\b(?:instructions?|prompts?|rules|directions|guidelines|guardrails|restrictions|constraints|"
            r"policies|policy|safety|filters?|everything|context|messages?)\b",
            r"\bsystem\s*prompts?\b",
            r"\b(?:reveal|show|print|tell|repeat|output|leak|dump|display)\b[^.。]{0,20}?"
            r"\b(?:your|the)\s+(?:system\s+|hidden\s+|initial\s+|original\s+)?(?:prompt|instructions|rules)\b",
            r"\byou\s+are\s+(?:now|no\s+longer)\b",
            r"\bact\s+as\b",
            r"\bpretend\b",
            r"\bjail\s*break",
            r"\b(?:developer|dan|god|admin|debug)\s+mode\b",
            r"\bnew\s+instructions?\b",
            r"\bsudo\b",
            r"\bas\s+(?:an?\s+)?(?:admin|administrator|superuser|root)\b",
            r"<\s*/?\s*(?:system|assistant|user|instructions?)\s*>",
            r"\[\s*/?\s*(?:system|inst)\s*\]",
            r"#{2,}\s*(?:system|instruction)",
            r"(?:指示|命令|ルール|制約|制限|設定|プロンプト|ガードレール)(?:を|は)?(?:全て|すべて|全部)?(?:無視|忘れ|破棄|解除|上書き)",
            r"(?:以前|前|これまで|上記|今まで|先ほど)の(?:指示|命令|内容|プロンプト|ルール)",
            r"システムプロンプト",
            r"プロンプト(?:を|の内容を)?(?:表示|見せ|教え|出力|開示)",
            r"(?:管理者|アドミン|admin|root)(?:として|権限|モード)",
            r"あなたは(?:今から|これから|もう)",
            r"(?:ふり|フリ)をして",
            r"脱獄",
            r"開発者モード",
        )
    )
)

# SQL: statements, comments and clause syntax; words like "select" alone are ordinary English.
_SQL = re.compile(
    "|".join(
        (
            r"\bselect\b[^;]{0,200}?\bfrom\s+(?!(?:last|this|the|past|previous|prior|yesterday|today|"
            r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|\d))[a-z_\"`\[][\w.\"`\]]*",
            r"\bselect\s+(?:\*|distinct\b|count\s*\(|sum\s*\(|avg\s*\(|top\s+\d)",
            r"\b(?:drop|truncate|alter)\s+(?:table|view|schema|database|index|user)\b",
            r"\bdelete\s+from\b",
            r"\binsert\s+into\b",
            r"\bupdate\s+[a-z_][\w.]*\s+set\b",
            r"\bunion\s+(?:all\s+)?select\b",
            r"\bcreate\s+(?:or\s+replace\s+)?(?:table|view|user|function|schema)\b",
            r"\bgrant\s+\w+\s+on\b",
            r"\bexec(?:ute)?\s*\(",
            r";\s*--",
            r"--\s*$",
            r"/\*",
            r"\*/",
            r"'\s*or\s*'?\d+'?\s*=\s*'?\d+",
            r"\bor\s+1\s*=\s*1\b",
            r"\bwhere\s+[a-z_]+\s*(?:=|<>|!=|\bin\s*\(|\blike\b)",
            r"\b(?:information_schema|pg_catalog|pg_tables|sqlite_master|duckdb_tables|ads_raw)\b",
            r"\b[a-z_][a-z0-9_]*\.(?:" + "|".join(VIEW_NAMES) + r")\b",
            r";\s*(?:select|drop|delete|insert|update|alter|create|grant|truncate)\b",
            r"\b(?:sum|count|avg|min|max)\s*\(\s*[a-z_*]",
        )
    )
)

_ACCOUNT_ID = re.compile(r"(?<!\d)(\d{3})[-\s]?(\d{3})[-\s]?(\d{4})(?!\d)")
_FOREIGN_WORDS = re.compile(
    r"\b(?:other|another|all|every|each|different|someone\s+else'?s?|cross)[\s-]+(?:tenants?|clients?|companies|"
    r"company'?s?|organi[sz]ations?|customers?'?(?:\s+accounts?)?|brands'?\s+data)(?![a-z])"
    r"|\btenants?\b"
    r"|\bcompetitors?'\s*(?:data|accounts?|numbers|performance|cost|spend)"
    r"|\bcompetitor'?s\s+(?:data|accounts?|numbers|performance|cost|spend)"
    r"|(?:他|別|全|すべての|全ての|ほか|他の)の?(?:テナント|クライアント|会社|企業|顧客企業|お客様)"
    r"|テナント|他社|競合他社の(?:データ|実績|数値)"
)


def check(text: str, vocabulary: TenantVocabulary) -> Violation | None:
    """The first reason to refuse `text` (normalised) outright, or None."""
    if match := _INJECTION.search(text):
        return Violation("prompt_injection", match.group(0))
    if match := _SQL.search(text):
        return Violation("sql", match.group(0))
    return _foreign(text, vocabulary)


def _foreign(text: str, vocabulary: TenantVocabulary) -> Violation | None:
    """Another tenant named, or an account id this tenant does not own."""
    own = set(vocabulary.account_ids)
    for match in _ACCOUNT_ID.finditer(text):
        account = "-".join(match.groups())
        if account not in own:
            return Violation("other_tenant", account)
    pattern = _foreign_pattern(vocabulary)
    if pattern is not None and (named := pattern.search(fold(text))):
        return Violation("other_tenant", named.group(0))
    words = _FOREIGN_WORDS.search(text)
    return Violation("other_tenant", words.group(0)) if words else None


_PATTERNS: OrderedDict[str, re.Pattern[str] | None] = OrderedDict()
_PATTERN_CACHE_SIZE = 256


def _foreign_pattern(vocabulary: TenantVocabulary) -> re.Pattern[str] | None:
    """One regex for every other tenant's name, compiled once per vocabulary."""
    key = vocabulary.fingerprint
    if key in _PATTERNS:
        _PATTERNS.move_to_end(key)
        return _PATTERNS[key]
    own = {fold(name) for name in (vocabulary.slug, vocabulary.name) if name}
    aliases = [alias for alias in _foreign_aliases(vocabulary) if alias not in own]
    pattern = (
        re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, aliases)) + r")(?![a-z0-9])")
        if aliases
        else None
    )
    _PATTERNS[key] = pattern
    if len(_PATTERNS) > _PATTERN_CACHE_SIZE:
        _PATTERNS.popitem(last=False)
    return pattern


def _foreign_aliases(vocabulary: TenantVocabulary) -> list[str]:
    """Other tenants' slugs and names as a user might type them, minus words this tenant uses."""
    own_values = {fold(value) for values in vocabulary.values.values() for value in values}
    aliases: set[str] = set()
    for name in vocabulary.foreign_names:
        folded = fold(name)
        if not folded:
            continue
        aliases.add(folded)
        aliases.add(fold(name.replace("-", " ").replace("_", " ")))
        first = folded.split(" ")[0]
        if len(first) >= 5 and not any(first in value for value in own_values):
            aliases.add(first)
    return sorted(aliases, key=len, reverse=True)
