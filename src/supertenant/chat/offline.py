"""The default planner: rules and a few-shot tie-break, no network, no model weights.

    guards (injection, SQL, other tenants) → parse (quotes, comparisons, time, lexicon)
      → decide (refuse / ask / template + params) → validate (template schema + allow-list)
      → confidence check (ask when too much of the sentence was not understood)

Deterministic for a given sentence, tenant vocabulary, library and `today`. The compiled lexicon is
cached per tenant vocabulary fingerprint, so a plan costs a scan and a few dictionary lookups.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import date

from supertenant.chat import guards
from supertenant.chat.decide import Decision, decide
from supertenant.chat.fewshot import Example, Library
from supertenant.chat.lexicon import Lexicon, build, global_lexicon
from supertenant.chat.messages import chart_name, say
from supertenant.chat.parse import parse
from supertenant.chat.planner import Clarify, Plan, PlanResult, Refusal
from supertenant.chat.text import detect_locale, normalise
from supertenant.chat.validate import validate_plan
from supertenant.chat.vocabulary import TenantVocabulary, contract_vocabulary
from supertenant.templates import registry
from supertenant.templates.errors import TemplateError
from supertenant.templates.vocabulary import Locale, metric_label

MAX_TEXT_LENGTH = 500
DEFAULT_THRESHOLD = 0.55
_LIBRARY_TODAY = date(2026, 1, 15)  # examples' dates do not matter to their skeletons
_REFUSED_CODES = frozenset({"dataset_unavailable", "unknown_metric"})


class OfflinePlanner:
    """Rule-based `Planner`. `threshold`: below this confidence, ask instead of charting."""

    def __init__(
        self, library: Library | None = None, *, threshold: float = DEFAULT_THRESHOLD, cache_size: int = 64
    ) -> None:
        self.library = library if library is not None else Library.load()
        self.threshold = threshold
        self._cache_size = cache_size
        self._lexicons: OrderedDict[str, Lexicon] = OrderedDict()
        self._neutral = contract_vocabulary("library")

    def plan(self, text: str, tenant: TenantVocabulary, today: date) -> PlanResult:
        locale = detect_locale(text, tenant.locale)
        if len(text) > MAX_TEXT_LENGTH:
            return Refusal(code="too_long", reason=say("too_long", locale))
        violation = guards.check(normalise(text), tenant)
        if violation is not None:
            return Refusal(code=violation.code, reason=say(violation.code, locale, found=violation.found))
        frame = parse(text, tenant, self._lexicon(tenant), today)

        def tie_break(skeleton: str, candidates: Sequence[str]) -> tuple[str, float] | None:
            return self.library.nearest(skeleton, list(candidates), self._skeleton, tenant.slug)

        outcome = decide(frame, tenant, locale, tie_break)
        if not isinstance(outcome, Decision):
            return outcome
        chart = registry.chart(outcome.template)
        draft = Plan(
            template=chart.name,
            version=chart.version,
            params=outcome.params,
            confidence=max(0.0, min(1.0, outcome.confidence)),
        )
        try:
            plan = validate_plan(draft, tenant, locale=locale)
        except TemplateError as error:
            return explain(error, locale, draft)
        if plan.confidence < self.threshold:
            return _unsure(frame.leftovers, outcome, locale)
        return plan

    def _lexicon(self, tenant: TenantVocabulary) -> Lexicon:
        key = tenant.fingerprint
        found = self._lexicons.get(key)
        if found is None:
            found = self._lexicons[key] = build(tenant)
            if len(self._lexicons) > self._cache_size:
                self._lexicons.popitem(last=False)
        else:
            self._lexicons.move_to_end(key)
        return found

    def _skeleton(self, example: Example) -> str:
        return parse(example.text, self._neutral, global_lexicon(), _LIBRARY_TODAY).skeleton


def explain(error: TemplateError, locale: Locale, draft: Plan) -> Refusal | Clarify:
    """A validation error as the user sees it: missing data is refused, a bad combination is asked about."""
    if error.code in _REFUSED_CODES:
        return Refusal(code=error.code, reason=say("invalid_plan", locale, found=error.message))
    if error.code == "non_additive_metric":
        metric = metric_label(str(draft.params.get("metric", "")), locale)
        return Clarify(
            code="ratio_share",
            question=say("ratio_share", locale, metric=metric),
            options=(chart_name("ranking", locale),),
        )
    return Clarify(
        code=error.code, question=say("invalid_plan", locale, found=error.message), options=error.suggestions
    )


def _unsure(leftovers: list[str], outcome: Decision, locale: Locale) -> Clarify:
    if leftovers:
        return Clarify(
            code="not_understood", question=say("not_understood", locale, found=" ".join(leftovers))
        )
    options = tuple(chart_name(name, locale) for name in (outcome.template, *outcome.alternatives))
    return Clarify(
        code="which_chart", question=say("which_chart", locale, found=" / ".join(options)), options=options
    )
