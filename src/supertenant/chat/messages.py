"""Every sentence the planner says to a user, in English and Japanese.

Refusals and questions name what was not understood and what would work instead, in the language
the user wrote in (`text.detect_locale`), with the tenant's labels for metrics and columns.
"""

from __future__ import annotations

from collections.abc import Iterable

from supertenant.templates.vocabulary import Locale, column_label, join_labels, metric_label

_MESSAGES: dict[str, tuple[str, str]] = {
    "prompt_injection": (
        "I can only turn questions about your Google Ads data into charts, and I don't follow "
        'instructions that try to change how I work. Please ask about a metric, e.g. "cost by campaign '
        'last month".',
        "このチャットはGoogle広告データのグラフ作成専用で、動作を変えようとする指示には従えません。"
        "「先月のキャンペーン別費用」のように指標を指定して質問してください。",
    ),
    "sql": (
        "I don't run SQL or database commands ({found}). Describe the chart in words instead, e.g. "
        '"clicks by device this month".',
        "SQLやデータベースのコマンド（{found}）は実行できません。"
        "「今月のデバイス別クリック数」のように、言葉でグラフを指定してください。",
    ),
    "other_tenant": (
        'I can only show your own accounts\' data; "{found}" is not one of them.',
        "ご利用中のアカウントのデータのみ表示できます。「{found}」は対象外です。",
    ),
    "out_of_contract": (
        "Your Google Ads data has no {found}. It covers {metrics} by campaign, ad group, keyword, device "
        "and region.",
        "Google広告データに「{found}」はありません。扱えるのは{metrics}（キャンペーン・広告グループ・"
        "キーワード・デバイス・地域別）です。",
    ),
    "unknown_metric": (
        '"{found}" is not a metric in your Google Ads data. Available metrics: {metrics}.',
        "「{found}」はGoogle広告データの指標にありません。使える指標：{metrics}。",
    ),
    "unknown_metric_suggest": (
        '"{found}" is not a metric in your data. Did you mean {suggestion}?',
        "「{found}」はデータにない指標です。{suggestion}のことでしょうか？",
    ),
    "dataset_unavailable": (
        "Your account has no {found} data, so I can't chart that.",
        "ご利用のアカウントには{found}のデータがないため、グラフを作成できません。",
    ),
    "missing_metric": (
        "Which metric should I show? For example: {metrics}.",
        "どの指標を表示しますか？ 例：{metrics}。",
    ),
    "missing_dimension": (
        "By what should I break down {metric}? For example: {dimensions}.",
        "{metric}を何別に表示しますか？ 例：{dimensions}。",
    ),
    "unknown_dimension": (
        'I don\'t know how to break down by "{found}". You can break down by {dimensions}.',
        "「{found}」別の集計はできません。使える切り口：{dimensions}。",
    ),
    "incompatible_dimensions": (
        "{found} are not in the same report, so I can't combine them. Pick one of them.",
        "{found}は同じレポートにないため、組み合わせられません。どちらか一つを選んでください。",
    ),
    "too_many_metrics": (
        "A {chart} can show at most {limit} metrics; you asked for {found}. Which ones should I keep?",
        "{chart}に表示できる指標は{limit}つまでです（指定：{found}）。どれを残しますか？",
    ),
    "ambiguous_time": (
        "You mentioned more than one period ({found}). Which one should I use?",
        "複数の期間（{found}）が指定されています。どれを使いますか？",
    ),
    "unsupported_comparison": (
        'I can compare a number with the same day a week earlier or a year earlier, not "{found}".',
        "比較できるのは前週同曜日または前年同曜日です（「{found}」には対応していません）。",
    ),
    "unknown_value": (
        'I couldn\'t find "{found}" in your data. Did you mean one of these?',
        "「{found}」がデータに見つかりませんでした。次のいずれかでしょうか？",
    ),
    "metric_condition": (
        'I can\'t filter by the value of a metric yet ("{found}"). Should I show it without that '
        "condition, e.g. as a ranking?",
        "指標の値による絞り込み（「{found}」）にはまだ対応していません。条件なしで、"
        "例えばランキングとして表示しますか？",
    ),
    "not_understood": (
        'I didn\'t understand "{found}". Could you rephrase, e.g. "{example}"?',
        "「{found}」の部分が分かりませんでした。「{example}」のように言い換えてください。",
    ),
    "not_a_question": (
        'I didn\'t find a chart request in that. Try e.g. "{example}".',
        "グラフの依頼として理解できませんでした。例：「{example}」。",
    ),
    "ratio_share": (
        "{metric} is a ratio, so its shares don't add up to a whole. Show it as a ranking instead?",
        "{metric}は比率の指標のため、構成比にできません。ランキングで表示しますか？",
    ),
    "invalid_plan": (
        "I can't make that chart: {found}",
        "そのグラフは作成できません：{found}",
    ),
    "which_chart": (
        "Should I show this as {found}?",
        "{found}のどれで表示しますか？",
    ),
    "too_long": (
        "That request is too long; please ask for one chart in a sentence or two.",
        "依頼が長すぎます。グラフ1つにつき1〜2文で指定してください。",
    ),
}

CHART_NAMES: dict[str, tuple[str, str]] = {
    "kpi": ("a single number", "数値（KPI）"),
    "trend": ("a trend over time", "推移グラフ"),
    "ranking": ("a ranking", "ランキング"),
    "share": ("a share (pie)", "構成比（円グラフ）"),
    "table": ("a table", "表"),
    "pivot": ("a pivot table", "ピボット表"),
}

EXAMPLES: dict[str, tuple[str, str]] = {
    "default": ("cost by campaign last month", "先月のキャンペーン別費用"),
}

_COMMON_METRICS = ("cost", "clicks", "conversions", "cpa", "roas", "ctr")
_COMMON_DIMENSIONS = ("campaign_name", "campaign_type", "device", "ad_group_name", "keyword_text", "region")


def say(code: str, locale: Locale, **fields: str) -> str:
    """The message `code` in `locale`, with `fields` filled in (common lists filled by default)."""
    en, ja = _MESSAGES[code]
    defaults = {
        "metrics": metric_list(_COMMON_METRICS, locale),
        "dimensions": dimension_list(_COMMON_DIMENSIONS, locale),
        "example": EXAMPLES["default"][1 if locale == "ja" else 0],
    }
    return (ja if locale == "ja" else en).format(**{**defaults, **fields})


def metric_list(metrics: Iterable[str], locale: Locale) -> str:
    return join_labels([metric_label(metric, locale) for metric in metrics], locale)


def dimension_list(columns: Iterable[str], locale: Locale) -> str:
    return join_labels([column_label(column, locale) for column in columns], locale)


def chart_name(template: str, locale: Locale) -> str:
    en, ja = CHART_NAMES[template]
    return ja if locale == "ja" else en
