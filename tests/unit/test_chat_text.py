"""Normalisation: one canonical form for full-width, half-width, upper-case and Japanese input."""

from __future__ import annotations

import pytest

from supertenant.chat.text import content_words, detect_locale, fold, normalise, squash


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＣＴＲ", "ctr"),  # full-width letters → ASCII, lower case
        ("過去３０日", "過去30日"),  # full-width digits
        ("ｸﾘｯｸ数", "クリック数"),  # half-width katakana → full-width
        ("CPA　トップ５", "cpa トップ5"),  # ideographic space
        ("直近3ヶ月", "直近3ケ月"),  # small ke is folded so one rule covers ヶ/ケ
        ("2026-10-01〜2026-10-31", "2026-10-01~2026-10-31"),  # wave dash → ~
        ("  Cost   by\tCampaign ", "cost by campaign"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_fold_drops_separators_so_names_compare_equal() -> None:
    assert (
        fold("Search | Beach Resorts – Sale")
        == fold("search beach resorts sale")
        == "search beach resorts sale"
    )
    assert fold("英会話_一般検索") == "英会話 一般検索"
    assert squash("英会話_一般検索") == "英会話一般検索"


def test_content_words_drop_particles_but_keep_kanji_and_katakana() -> None:
    assert content_words("先月のキャンペーン別の費用を見せてください") == [
        "先月",
        "キャンペーン",
        "別",
        "費用",
        "見",
    ]
    assert content_words("cost by campaign") == ["cost", "by", "campaign"]


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("先月の費用", "en", "ja"),
        ("cost last month", "ja", "en"),
        ("ＣＰＡ", "en", "ja"),
        ("123", "ja", "ja"),
    ],
)
def test_detect_locale_answers_in_the_language_of_the_question(
    text: str, default: str, expected: str
) -> None:
    assert detect_locale(text, default) == expected  # type: ignore[arg-type]
