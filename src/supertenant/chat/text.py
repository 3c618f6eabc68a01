"""Text normalisation shared by the planner, the lexicon and the few-shot library.

One canonical form means aliases are written once: NFKC folds full-width letters and digits to
ASCII (ＣＴＲ → ctr, ３０日 → 30日) and half-width katakana to full-width (ｸﾘｯｸ → クリック); then
everything is lower-cased. `fold` additionally turns punctuation and separators into single spaces so
that "Search | Beach Resorts – Sale" and "search beach resorts sale" compare equal. Japanese needs no
tokenizer here: aliases are matched as substrings, and runs of hiragana between content words are
particles or auxiliaries (の, を, で, ください), which `content_words` drops.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Locale = Literal["ja", "en"]

# Placeholders the planner leaves in the text where it consumed a span. Private-use code points, so
# no alias, regex or stop word can ever match them.
TIME_SLOT = "\ue001"
QUOTE_SLOT = "\ue002"
COMPARE_SLOT = "\ue003"

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_IME = re.compile(r"[\uff01-\uff5e\u3000]")  # full-width ASCII: typed with a Japanese input method
_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"\s+")
# Separators inside names and lists; `~`/`〜` and `-` are kept out of `normalise` because dates use
# them, and `fold` runs only after the time expressions were taken out.
_SEPARATORS = re.compile(r"[\s|｜–—―‐−\-_/・:;,、。.!?()\[\]{}【】<>\"'“”‘’`…+&]+")
_HIRAGANA_RUN = re.compile(r"[\u3041-\u309f]+")
_WORD = re.compile(
    r"[a-z0-9%$¥]+(?:'[a-z]+)?|[\u30a0-\u30ff]+|[\u3400-\u4dbf\u4e00-\u9fff々〆]+|[\u3041-\u309f]+"
)

PARTICLES = frozenset(
    {
        "の", "を", "で", "は", "が", "に", "と", "も", "や", "へ", "から", "まで", "より", "って",
        "ごと", "での", "との", "では", "には", "ね", "よ", "か", "な", "だ", "です", "ます",
    }
)  # fmt: skip


def normalise(text: str) -> str:
    """NFKC, lower case, one space between words; the form every pass of the planner reads."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("〜", "~").replace("～", "~").replace("ヶ", "ケ").replace("ヵ", "カ")
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """`normalise`, then punctuation and separators as single spaces (for names and aliases)."""
    return _SPACES.sub(" ", _SEPARATORS.sub(" ", normalise(text))).strip()


def squash(text: str) -> str:
    """`fold` without spaces: Japanese writers drop the separators of names ("化粧水一般検索")."""
    return fold(text).replace(" ", "")


def detect_locale(text: str, default: Locale) -> Locale:
    """Answer in the user's language: Japanese for kana, kanji or full-width letters; English for Latin."""
    if _JAPANESE.search(text) or _IME.search(text):
        return "ja"
    if _LATIN.search(text):
        return "en"
    return default


def is_ascii_word(alias: str) -> bool:
    """Aliases made only of ASCII need word boundaries ("cost" must not match "costume")."""
    return alias.isascii()


def has_japanese(text: str) -> bool:
    return _JAPANESE.search(text) is not None


def words(text: str) -> list[str]:
    """Words by script: ASCII words, katakana runs, kanji runs, hiragana runs."""
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    """`words` without particles: hiragana runs that are particles or auxiliaries are dropped."""
    return [word for word in words(text) if not (_HIRAGANA_RUN.fullmatch(word) and _is_function(word))]


def _is_function(run: str) -> bool:
    """A hiragana run is a function word when it is a particle or a polite/auxiliary ending."""
    return run in PARTICLES or len(run) <= 2 or run.endswith(("ください", "たい", "して", "ます", "です"))
