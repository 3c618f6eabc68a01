"""The service's own sentences (everything the planner does not say), in English and Japanese."""

from __future__ import annotations

from supertenant.templates.vocabulary import Locale

_TEXT: dict[str, tuple[str, str]] = {
    "unauthenticated": ("Please sign in to Superset first.", "先にSupersetにログインしてください。"),
    "no_tenant": (
        "The chat is for members of an organisation; platform accounts have no data to chart.",
        "チャットは組織のメンバー向けです。プラットフォームのアカウントにはグラフにするデータがありません。",
    ),
    "chat_disabled": (
        "The chart chat is not enabled for your organisation.",
        "ご利用の組織ではチャットによるグラフ作成が有効になっていません。",
    ),
    "cannot_save": (
        "Your role can view charts but not save new ones; ask an editor or your administrator.",
        "ご利用のロールではグラフを閲覧できますが、新しく保存することはできません。編集者または管理者にご依頼ください。",
    ),
    "superset_refused": (
        "Superset refused to save the chart ({detail}).",
        "Supersetがグラフの保存を拒否しました（{detail}）。",
    ),
    "unavailable": (
        "Superset is not reachable right now; please try again in a moment.",
        "現在Supersetに接続できません。しばらくしてからもう一度お試しください。",
    ),
    "chart_created": ("Here is your chart: {title}.", "グラフを作成しました：{title}"),
}


def text(code: str, locale: Locale, **fields: str) -> str:
    en, ja = _TEXT[code]
    return (ja if locale == "ja" else en).format(**fields)
