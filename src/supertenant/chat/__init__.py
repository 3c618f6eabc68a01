"""Natural-language chart chat: a sentence becomes a validated chart template + parameters, or a no.

Pure apart from `vocabulary.from_duckdb` (reads a warehouse) and the few-shot files. The planner only
chooses a template and fills its parameters; `validate.validate_plan` re-checks every plan against the
template schema and the tenant's allow-list, so no planner can produce a chart outside it.

    from supertenant.chat import OfflinePlanner, contract_vocabulary
    result = OfflinePlanner().plan("先月の費用", contract_vocabulary("acme", locale="ja"), date.today())
"""

from supertenant.chat.fewshot import Example, Failure, FailureLog, Library, promote, review
from supertenant.chat.offline import OfflinePlanner
from supertenant.chat.planner import Clarify, Plan, Planner, PlanResult, Refusal
from supertenant.chat.timeexpr import parse_time, resolve
from supertenant.chat.validate import validate_plan
from supertenant.chat.vocabulary import DatasetVocabulary, TenantVocabulary, contract_vocabulary, from_duckdb

__all__ = [
    "Clarify",
    "DatasetVocabulary",
    "Example",
    "Failure",
    "FailureLog",
    "Library",
    "OfflinePlanner",
    "Plan",
    "PlanResult",
    "Planner",
    "Refusal",
    "TenantVocabulary",
    "contract_vocabulary",
    "from_duckdb",
    "parse_time",
    "promote",
    "resolve",
    "review",
    "validate_plan",
]
