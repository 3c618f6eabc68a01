"""The planner's bilingual word lists: every synonym the offline planner knows, as plain data.

Keys are canonical names (saved metrics, contract columns, chart kinds); values are aliases in any
case and width (they are folded with `text.fold` when the lexicon is built, so "ＣＴＲ" and "ctr"
are one alias). English nouns get their plural automatically. Words naming something the contract
does not have are listed too, so that the planner can say what it did not understand instead of
silently dropping it.
"""

from __future__ import annotations

from collections.abc import Mapping

# fmt: off
METRICS: Mapping[str, tuple[str, ...]] = {
    "impressions": (
        "impression", "imp", "imps", "impr", "表示回数", "表示数", "インプレッション", "インプレッション数",
        "インプ", "imp数", "表示件数", "露出数",
    ),
    "clicks": ("click", "clicked", "クリック", "クリック数", "click数", "クリック回数", "クリック件数"),
    "cost": (
        "cost", "spend", "spending", "spent", "ad spend", "ad cost", "advertising cost", "media spend",
        "費用", "コスト", "広告費", "広告費用", "消化", "消化額", "消化金額", "利用額", "出稿額", "出稿費",
        "支出", "かかった費用", "使った金額", "広告コスト", "総費用",
    ),
    "conversions": (
        "conversion", "conv", "convs", "converted", "converting", "convert", "cv", "cvs", "cv数",
        "コンバージョン", "コンバージョン数",
        "コンバージョン件数", "コンバ", "成果", "成果数", "獲得", "獲得数", "獲得件数", "cv件数",
        "conversion count",
    ),
    "conversion_value": (
        "conversion value", "conv value", "conversions value", "revenue", "sales", "sales value",
        "売上", "売り上げ", "売上高", "売上額", "コンバージョン値", "コンバージョン価値", "cv値", "cv価値",
        "収益", "収入", "conversion revenue",
    ),
    "ctr": (
        "ctr", "click through rate", "click-through rate", "clickthrough rate", "click rate",
        "click thru rate", "click-thru rate", "clickthru rate",
        "クリック率", "クリックスルー率",
    ),
    "cpc": (
        "cpc", "cost per click", "avg cpc", "average cpc", "average cost per click", "クリック単価",
        "平均クリック単価", "平均cpc", "クリックあたりの費用", "1クリックあたりの費用",
    ),
    "cvr": (
        "cvr", "conversion rate", "conv rate", "cv rate", "cv率", "コンバージョン率", "転換率", "成約率",
        "cvレート",
    ),
    "cpa": (
        "cpa", "cost per conversion", "cost per acquisition", "cost per conv", "cost conv",
        "cost per action", "獲得単価", "コンバージョン単価", "cv単価", "顧客獲得単価", "獲得コスト",
        "1件あたりの獲得費用", "コンバージョンあたりの費用",
    ),
    "roas": (
        "roas", "return on ad spend", "return on advertising spend", "広告費用対効果", "費用対効果",
        "広告費対効果",
    ),
}

# Contract columns a user can group or filter by. Dataset-specific columns select their dataset.
DIMENSIONS: Mapping[str, tuple[str, ...]] = {
    "campaign_name": ("campaign", "campaign name", "キャンペーン", "キャンペーン名", "キャンペーン毎"),
    "campaign_type": (
        "campaign type", "type", "channel", "channel type", "advertising channel", "キャンペーンタイプ",
        "キャンペーン種別", "キャンペーンの種類", "キャンペーンの種別", "チャネル", "配信タイプ", "タイプ",
        "種類", "種別", "広告の種類",
    ),
    "campaign_status": (
        "campaign status", "status", "キャンペーンのステータス", "ステータス", "配信状況", "配信状態",
    ),
    "device": ("device", "device type", "デバイス", "端末", "デバイス種別", "デバイスタイプ"),
    "ad_group_name": (
        "ad group", "adgroup", "ad group name", "ad set", "広告グループ", "広告グループ名", "アドグループ",
    ),
    "ad_group_status": (
        "ad group status", "adgroup status", "広告グループのステータス", "広告グループステータス",
    ),
    "keyword_text": ("keyword", "kw", "kws", "keyword text", "キーワード", "キーワード名", "検索キーワード"),
    "match_type": ("match type", "matchtype", "マッチタイプ", "一致タイプ", "マッチ種別"),
    "region": (
        "region", "area", "prefecture", "state", "city", "location", "geo", "geography", "地域", "エリア",
        "都道府県", "地方", "都市", "州", "ロケーション", "地域名",
    ),
    "country_code": ("country", "nation", "国", "国名", "国コード", "country code"),
    "account_id": ("account", "account id", "customer id", "アカウント", "アカウントid"),
    "currency": ("currency", "通貨"),
    "quality_score": ("quality score", "qs", "品質スコア"),
}

# Values the contract itself defines (so every tenant has them), with synonyms. Column "status"
# means campaign or ad group status, decided by the nouns in the sentence.
ENUM_VALUES: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("device", "MOBILE"): (
        "mobile", "smartphone", "phone", "mobile phone", "モバイル", "スマホ", "スマートフォン", "携帯", "sp",
    ),
    ("device", "DESKTOP"): ("desktop", "pc", "computer", "デスクトップ", "パソコン"),
    ("device", "TABLET"): ("tablet", "ipad", "タブレット"),
    ("device", "OTHER"): ("other devices", "その他のデバイス", "その他デバイス", "ctv", "connected tv"),
    ("campaign_type", "SEARCH"): (
        "search ads", "search network", "検索広告", "リスティング", "リスティング広告",
        "検索連動型",
    ),
    ("campaign_type", "DISPLAY"): (
        "display ads", "display network", "ディスプレイ", "ディスプレイ広告", "gdn",
        "バナー広告",
    ),
    ("campaign_type", "VIDEO"): (
        "video ads", "youtube ads", "youtube", "動画", "動画広告", "ビデオ", "ビデオ広告",
        "youtube広告",
    ),
    ("campaign_type", "SHOPPING"): ("shopping ads", "ショッピング", "ショッピング広告", "pla"),
    ("campaign_type", "PERFORMANCE_MAX"): (
        "pmax", "p max", "performance max", "perf max", "パフォーマンス最大化", "pマックス",
    ),
    ("match_type", "EXACT"): ("exact match", "完全一致"),
    ("match_type", "PHRASE"): ("phrase match", "フレーズ一致"),
    ("match_type", "BROAD"): ("broad match", "部分一致", "インテントマッチ"),
    ("country_code", "JP"): ("japan", "日本", "国内"),
    ("country_code", "US"): ("usa", "united states", "america", "アメリカ", "米国"),
    ("status", "ENABLED"): ("有効", "配信中", "稼働中", "アクティブ"),
    ("status", "PAUSED"): ("一時停止", "停止中", "一時停止中"),
    ("status", "REMOVED"): ("削除済み",),
}

# Enum aliases that are ordinary words too: values only next to a noun of their column or a carrier
# column ("search campaigns", "paused ad groups", "exact keywords"); otherwise filler.
CONTEXT_WORDS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("campaign_type", "SEARCH"): ("search", "検索"),
    ("campaign_type", "DISPLAY"): ("display",),
    ("campaign_type", "VIDEO"): ("video",),
    ("campaign_type", "SHOPPING"): ("shopping",),
    ("match_type", "EXACT"): ("exact",),
    ("match_type", "PHRASE"): ("phrase", "フレーズ"),
    ("match_type", "BROAD"): ("broad",),
    ("device", "OTHER"): ("other", "その他"),
    ("status", "ENABLED"): ("enabled", "active", "live", "running"),
    ("status", "PAUSED"): ("paused", "停止"),
    ("status", "REMOVED"): ("removed", "deleted", "削除"),
}

# Japanese names of regions the sample data and Google Ads report in English.
REGION_NAMES_JA: Mapping[str, tuple[str, ...]] = {
    "Tokyo": ("東京", "東京都"), "Osaka": ("大阪", "大阪府"), "Nagoya": ("名古屋",),
    "Fukuoka": ("福岡", "福岡県"), "Sapporo": ("札幌",), "Kyoto": ("京都", "京都府"),
    "Kanagawa": ("神奈川", "神奈川県"), "Hokkaido": ("北海道",), "Aichi": ("愛知", "愛知県"),
    "California": ("カリフォルニア",), "Texas": ("テキサス",), "New York": ("ニューヨーク",),
    "Florida": ("フロリダ",), "Illinois": ("イリノイ",),
}

# Which nouns can carry a value: "mobile devices" (same column: the noun is consumed), "search
# campaigns" (another column: the noun becomes a weak dimension, used only when a chart needs one).
CARRIERS: Mapping[str, tuple[str, ...]] = {
    "campaign_name": ("campaign_name",),
    "campaign_type": ("campaign_type", "campaign_name"),
    "campaign_status": ("campaign_status", "campaign_name"),
    "ad_group_status": ("ad_group_status", "ad_group_name"),
    "device": ("device",),
    "ad_group_name": ("ad_group_name",),
    "keyword_text": ("keyword_text",),
    "match_type": ("match_type", "keyword_text"),
    "region": ("region",),
    "country_code": ("country_code", "region"),
    "account_id": ("account_id",),
    "currency": ("currency",),
}

TIME_GRAINS: Mapping[str, tuple[str, ...]] = {
    "day": (
        "daily", "by day", "per day", "each day", "day by day", "by date", "per date", "日別", "日次",
        "毎日", "日ごと", "日単位", "デイリー", "日毎", "日付別", "1日ごと", "日々",
    ),
    "week": (
        "weekly", "by week", "per week", "each week", "week by week", "週別", "週次", "毎週", "週ごと",
        "週単位", "ウィークリー", "週毎",
    ),
    "month": (
        "monthly", "by month", "per month", "each month", "month by month", "月別", "月次", "毎月",
        "月ごと", "月単位", "マンスリー", "月毎",
    ),
    "quarter": (
        "quarterly", "by quarter", "per quarter", "each quarter", "四半期別", "四半期ごと", "四半期毎",
    ),
    "year": (
        "yearly", "annually", "annual", "by year", "per year", "each year", "year by year", "年別", "年次",
        "年ごと", "毎年", "年単位", "年毎",
    ),
}

# Time units as a dimension ("region × month", "campaign and week"): a pivot's date columns.
TIME_UNITS: Mapping[str, tuple[str, ...]] = {
    "day": ("day", "days", "date", "dates", "日", "日付"),
    "week": ("week", "weeks", "週"),
    "month": ("month", "months", "月"),
    "quarter": ("quarter", "quarters", "四半期"),
    "year": ("year", "years", "年"),
}

CHART_WORDS: Mapping[str, tuple[str, ...]] = {
    "trend": (
        "trend", "trends", "trending", "over time", "time series", "timeseries", "timeline", "history",
        "evolution", "progression", "changed", "推移", "トレンド", "時系列", "経過", "変化", "動向",
        "移り変わり", "動き", "遷移",
    ),
    "ranking": (
        "ranking", "rankings", "rank", "ranked", "leaderboard", "ランキング", "順位", "順番", "並び替え",
    ),
    "share": (
        "share", "breakdown", "break down", "broken down", "split", "composition", "proportion",
        "percentage", "percent", "distribution", "distributed", "mix", "pie", "pie chart", "donut",
        "doughnut", "割合",
        "内訳", "構成", "構成比", "シェア", "比率", "円グラフ", "ドーナツ", "ドーナツグラフ", "占める",
        "配分",
        "パイ", "パイチャート", "比重",
    ),
    "table": (
        "table", "list", "listing", "detail", "details", "detailed", "spreadsheet", "grid", "一覧", "表",
        "テーブル", "リスト", "明細", "一覧表", "詳細", "表形式", "リストアップ",
    ),
    "pivot": (
        "pivot", "pivot table", "crosstab", "cross tab", "cross table", "matrix", "heatmap", "ピボット",
        "ピボットテーブル", "クロス集計", "クロス表", "マトリクス", "マトリックス", "×", "ヒートマップ",
    ),
}

STYLES: Mapping[str, tuple[str, ...]] = {
    "line": ("line", "line chart", "line graph", "折れ線", "折れ線グラフ", "ライン", "ラインチャート"),
    "bar": (
        "bar", "bars", "bar chart", "bar graph", "column chart", "columns", "棒", "棒グラフ", "バー",
        "バーチャート",
        "縦棒", "横棒",
    ),
    "area": ("area chart", "area graph", "stacked area", "面グラフ", "エリアチャート", "積み上げ面"),
}

# Ranking words with the order they imply. "best"/"worst" depend on the metric (a low CPA is best);
# "superlative" words (一番, 最も) only strengthen the ranking reading.
ORDERS: Mapping[str, tuple[str, ...]] = {
    "desc": (
        "top", "highest", "most", "largest", "biggest", "greatest", "max", "maximum", "leading",
        "most expensive", "descending", "上位", "トップ", "多い", "多い順", "高い", "高い順", "大きい",
        "大きい順", "降順",
        "最大", "最も多い", "最も高い", "一番多い", "一番高い", "多かった", "高かった",
    ),
    "asc": (
        "bottom", "lowest", "least", "fewest", "smallest", "min", "minimum", "cheapest", "ascending",
        "下位", "少ない", "少ない順", "低い", "低い順", "小さい", "小さい順", "安い順", "昇順", "最小",
        "最も少ない",
        "最も低い", "一番少ない", "一番低い", "少なかった", "低かった", "安い", "安かった",
    ),
    "best": (
        "best", "best performing", "top performing", "ベスト", "最良", "成績の良い", "良い", "優秀な",
        "好調な",
    ),
    "worst": (
        "worst", "worst performing", "poorest", "underperforming", "ワースト", "最悪", "悪い", "不調な",
    ),
    "superlative": ("一番", "最も", "いちばん"),
}
LOWER_IS_BETTER = frozenset({"cpa", "cpc", "cost"})

KPI_WORDS: tuple[str, ...] = (
    "total", "totals", "sum", "overall", "altogether", "in total", "grand total", "kpi", "single number",
    "how much", "how many", "big number", "scorecard", "合計", "総", "総計", "総額", "全体", "トータル",
    "いくら", "何件", "何回", "いくつ", "数字", "合算", "合計値", "全部で", "全体で", "総数",
)

# "Performance" without a metric: a table of the usual metrics.
GENERIC_WORDS: tuple[str, ...] = (
    "performance", "stats", "statistics", "metrics", "kpis", "results", "numbers", "overview", "summary",
    "report", "perform", "performed", "performing", "doing", "調子", "成績表", "実績", "パフォーマンス",
    "成績", "数値", "指標", "結果", "状況", "サマリー", "概要", "レポート",
    "全指標", "主要指標",
)
DEFAULT_METRICS: tuple[str, ...] = ("impressions", "clicks", "cost", "conversions", "cpa", "roas")

NEGATE_BEFORE: tuple[str, ...] = (
    "excluding", "exclude", "except", "except for", "without", "other than", "not", "non", "excl",
    "but not", "apart from", "ignore", "ignoring", "leave out", "leaving out", "minus",
)
NEGATE_AFTER: tuple[str, ...] = (
    "以外", "を除く", "を除いた", "を除いて", "除く", "除いて", "除いた", "除外", "を除外", "を除外した",
    "除外して",
    "抜き", "抜きで", "は除く", "以外の", "以外で", "を外して", "外して",
)
CONTAINS_BEFORE: tuple[str, ...] = (
    "containing", "contains", "that contain", "that contains", "named like", "matching", "with the word",
    "including the word", "whose name contains",
)
CONTAINS_AFTER: tuple[str, ...] = (
    "を含む", "が含まれる", "含む", "を含んだ", "という名前の", "が入った", "が入っている", "を名前に含む",
)
COMPARE_WORDS: tuple[str, ...] = (
    "compare", "comparing", "comparison", "vs", "versus", "against", "比較", "比べ", "比べて", "と比較",
    "違い", "の差", "difference", "differences",
)
BY_WORDS: tuple[str, ...] = (
    "by", "per", "for each", "each", "across", "grouped by", "group by", "別", "ごと", "毎", "単位", "ごとの",
    "別の",
)
AND_WORDS: tuple[str, ...] = ("and", "or", "plus", "と", "や", "および", "及び", "または")
COUNTERS: tuple[str, ...] = (
    "件", "位", "つ", "個", "本", "items", "item", "results", "entries", "ones", "件分",
)
ROW_COUNTERS: tuple[str, ...] = ("行", "rows", "row", "lines")
SORT_AFTER: tuple[str, ...] = ("順", "順に", "の順", "順で", "で並べ替え", "で並び替え", "でソート", "順番に")
ONLY_WORDS: tuple[str, ...] = (
    "only", "alone", "のみ", "だけ", "限定", "に限定", "に絞って", "に絞った", "絞り込み",
)

# Metrics Google Ads (or analytics tools) have and the contract does not. A suggestion turns the
# refusal into a clarifying question ("ROI" is probably ROAS).
UNKNOWN_METRICS: Mapping[str, str | None] = {
    "impression share": None, "imp share": None, "search impression share": None,
    "インプレッションシェア": None,
    "表示シェア": None, "top impression rate": None, "absolute top impression rate": None,
    "bounce rate": None, "直帰率": None, "離脱率": None, "exit rate": None, "session": None,
    "セッション": None, "セッション数": None, "page view": None, "pageview": None, "pv": None, "pv数": None,
    "ページビュー": None, "閲覧数": None, "user": None, "user count": None, "ユーザー数": None,
    "ユーザ数": None,
    "visitor": None, "訪問者数": None, "訪問数": None, "reach": None, "リーチ": None, "frequency": None,
    "フリークエンシー": None, "view rate": None, "視聴率": None, "video view": None, "view": None,
    "視聴回数": None, "再生回数": None, "watch time": None, "視聴時間": None, "engagement": None,
    "エンゲージメント": None, "ltv": None, "lifetime value": None, "顧客生涯価値": None, "profit": None,
    "利益": None, "粗利": None, "margin": None, "利益率": None, "budget": None, "予算": None, "bid": None,
    "入札単価": None, "入札額": None, "average position": None, "avg position": None, "平均掲載順位": None,
    "掲載順位": None, "cpm": None, "cost per mille": None, "cost per thousand impressions": None,
    "インプレッション単価": None, "cpv": None, "cost per view": None, "aov": None,
    "average order value": None,
    "客単価": None, "time on site": None, "滞在時間": None, "dwell time": None, "scroll depth": None,
    "roi": "roas", "return on investment": "roas", "投資対効果": "roas", "投資収益率": "roas",
    "order": "conversions", "order count": "conversions", "purchase": "conversions", "注文数": "conversions",
    "購入数": "conversions", "lead": "conversions", "リード数": "conversions", "問い合わせ数": "conversions",
    "申込数": "conversions", "申し込み数": "conversions", "signup": "conversions", "sign up": "conversions",
    "cost per lead": "cpa", "cpl": "cpa", "cost per order": "cpa", "cpo": "cpa", "click cost": "cpc",
}

# Data the contract does not hold at all (personal data, products, other report types).
UNAVAILABLE: tuple[str, ...] = (
    "email", "e-mail", "email address", "mail address", "メール", "メールアドレス", "phone number",
    "電話番号",
    "address", "住所", "customer", "customer name", "customer list", "顧客", "顧客名", "顧客情報",
    "顧客リスト",
    "会員", "会員情報", "personal data", "pii", "個人情報", "氏名", "password", "パスワード", "credit card",
    "クレジットカード", "sku", "product sku", "product", "product id", "item id", "商品", "商品別", "商品id",
    "品番", "商品コード", "在庫", "inventory", "stock level", "users table", "user table", "user list",
    "ユーザー一覧", "ユーザー情報", "landing page", "ランディングページ", "lp", "url", "final url", "age",
    "age group", "年齢", "年代", "gender", "性別", "hour", "hourly", "hour of day", "時間帯", "時間別",
    "時間ごと", "毎時", "day of week", "day of the week", "weekday", "曜日", "曜日別", "search term",
    "search query", "検索語句",
    "検索クエリ", "クエリ", "audience", "オーディエンス", "ad copy", "ad text", "headline", "広告文",
    "見出し",
    "creative", "クリエイティブ", "広告別", "asset", "アセット", "browser", "ブラウザ", "operating system",
    "os",
    "gclid", "ip address", "ipアドレス", "cookie", "salary", "給与", "employee", "従業員", "invoice",
    "請求書",
    "billing", "請求", "weather", "天気", "stock price", "株価", "placement", "プレースメント", "掲載先",
    "postal code", "zip code", "郵便番号",
)

# Filler: words that carry no slot. Anything else left over lowers the confidence.
STOP_WORDS: tuple[str, ...] = (
    "show", "me", "please", "give", "get", "what", "what's", "whats", "is", "are", "was", "were", "the", "a",
    "an", "of", "for", "in", "on", "at", "to", "with", "from", "our", "my", "we", "i", "can", "you", "could",
    "would", "like", "want", "need", "see", "view", "chart", "graph", "plot", "visualize", "visualise",
    "visualization", "draw", "make", "create", "build", "how", "much", "many", "did", "do", "does", "has",
    "have", "had", "been", "be", "it", "its", "this", "that", "these", "those", "which", "who", "where",
    "when", "there", "all", "every", "any", "some", "just", "also", "as", "into", "up", "out", "over",
    "about", "data", "let", "lets", "let's", "tell", "know", "look", "check", "track", "monitor", "find",
    "us",
    "your", "during", "period", "range", "time", "so", "far", "now", "currently", "recent", "recently",
    "latest", "lately", "display", "search", "video", "shopping", "other", "exact", "phrase", "broad",
    "graphically", "shown", "showing", "displayed", "them", "they", "their", "then", "than", "being", "via",
    "using", "use", "seen", "got", "getting", "generate", "produce", "prepare", "pull", "run", "ran", "bring",
    "help", "quick", "quickly", "simple", "nice", "good", "great", "thanks", "thank", "hey", "hi", "hello",
    "ok", "okay", "wanna", "gimme", "needs", "done", "value", "values", "level", "name", "names", "ads", "ad",
    "google", "adwords", "kind", "sort", "sorted", "order by", "ordered", "number", "count", "amount",
    "figure", "figures", "rate", "rates", "one", "between", "generated",
    "brought", "received", "earned", "drove", "driven", "go", "went", "going", "compared", "first", "money",
    "wasting", "wasted", "looking",
    "broken", "grouped", "group", "right", "versus", "trended", "plotted", "separately",
    "separate", "together", "currently", "average", "avg", "mean", "chart of", "want to", "should", "will",
    "am", "if", "had", "got", "give me", "across all", "please", "related", "関連", "系",
    "グラフ", "表示", "見せて", "見せ", "見たい", "見る", "見れる", "出して", "出力", "教えて", "知りたい",
    "確認",
    "可視化", "作って", "作成", "データ", "全て", "すべて", "各", "分析", "集計", "一緒", "並べ", "並べて",
    "期間",
    "分", "お願い", "願い", "下さい", "欲しい", "ほしい", "見", "出", "作", "全", "件数", "数", "値", "額",
    "率",
    "回", "度", "時", "等", "など", "広告", "グーグル", "google広告", "チャート", "図", "どれ", "どの",
    "何",
    "どう", "どのくらい", "どれくらい", "どんな", "上", "下", "中", "内", "今", "現在", "最近", "直近",
    "これまで",
    "全体的", "ざっくり", "簡単", "配信", "実施", "運用", "出稿", "実際", "状態", "確認したい", "見える化",
    "まとめ", "まとめて", "並び", "計算", "使った", "かかった", "発生", "発生した", "された", "したい",
    "ください", "グラフ化", "チャート化", "表示して", "描いて", "描画", "作図", "平均", "化",
)

CONTRACT_DATASET_WORDS: Mapping[str, tuple[str, ...]] = {
    "ads_campaign_daily": ("ads_campaign_daily", "campaign report", "キャンペーンレポート"),
    "ads_adgroup_daily": ("ads_adgroup_daily", "ad group report", "広告グループレポート"),
    "ads_keyword_daily": ("ads_keyword_daily", "keyword report", "キーワードレポート"),
    "ads_geo_daily": ("ads_geo_daily", "geo report", "geographic report", "地域レポート"),
}
# fmt: on
