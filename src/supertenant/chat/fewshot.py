"""Few-shot examples (global and per tenant) and the failure log that feeds them.

Examples are (sentence, template, params) triples. The offline planner uses them only to break ties
its rules leave open, by similarity of *skeletons*: the sentence with every recognised slot replaced
by a code (M metric, D dimension, V value, T time…), compared as character n-grams, so "CPA by
campaign" and "キャンペーン別のCPA" are near examples of whatever template they show. The LLM planner
will use the same examples as few-shot prompts.

Failures (a refusal, a question, or a chart the user rejected) are appended to a JSONL log;
`review` lists them and `promote` turns a corrected one into a tenant example — after validating
the corrected plan — so the next identical question is answered right.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from supertenant.errors import ConfigError, NotFoundError
from supertenant.templates import registry
from supertenant.templates.vocabulary import Locale

GLOBAL_LIBRARY = Path(__file__).parent / "library" / "global.yaml"
_NGRAMS = (1, 2, 3)
_K = 3


class Example(BaseModel):
    """One sentence and the chart it means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1, max_length=500)
    template: str
    params: dict[str, Any] = Field(default_factory=dict)
    lang: Locale | None = None
    tenant: str | None = Field(default=None, description="None: a global example.")
    source: Literal["curated", "template", "promoted"] = "curated"


class Library:
    """Global examples plus per-tenant additions, with a nearest-neighbour lookup over skeletons."""

    def __init__(self, examples: Iterable[Example]) -> None:
        self.examples = list(examples)
        self._vectors: dict[int, Counter[str]] = {}

    @classmethod
    def load(cls, directory: Path | None = None, *, include_templates: bool = True) -> Library:
        """The built-in global file, the templates' own examples, and `directory/*.yaml` (tenants)."""
        examples = read_examples(GLOBAL_LIBRARY)
        if include_templates:
            examples.extend(template_examples())
        if directory is not None and directory.is_dir():
            for path in sorted(directory.glob("*.yaml")):
                examples.extend(read_examples(path, tenant=path.stem))
        return cls(examples)

    def for_tenant(self, slug: str) -> list[Example]:
        """Global examples and this tenant's own; never another tenant's."""
        return [example for example in self.examples if example.tenant in (None, slug)]

    def nearest(
        self, skeleton: str, candidates: Sequence[str], skeletonise: Callable[[Example], str], tenant: str
    ) -> tuple[str, float] | None:
        """The candidate template whose nearest examples are most similar, and its margin; None if none.

        Scores each candidate by the sum of its `_K` best cosine similarities, so one odd example
        does not decide alone.
        """
        query = _vector(skeleton)
        scores: dict[str, list[float]] = {name: [] for name in candidates}
        for index, example in enumerate(self.examples):
            if example.template not in scores or example.tenant not in (None, tenant):
                continue
            vector = self._vectors.get(index)
            if vector is None:
                vector = self._vectors[index] = _vector(skeletonise(example))
            scores[example.template].append(_cosine(query, vector))
        totals = {name: sum(sorted(found, reverse=True)[:_K]) for name, found in scores.items() if found}
        if not totals:
            return None
        ranked = sorted(totals.items(), key=lambda item: (-item[1], candidates.index(item[0])))
        best, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        return best, (score - runner_up) / _K


def _vector(skeleton: str) -> Counter[str]:
    text = f" {skeleton} "
    return Counter(text[i : i + n] for n in _NGRAMS for i in range(len(text) - n + 1))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[gram] for gram, count in a.items() if gram in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def read_examples(path: Path, *, tenant: str | None = None) -> list[Example]:
    """Examples from a YAML file `{examples: [{text, template, params, lang}]}`; ConfigError if invalid."""
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        items = data.get("examples", []) if isinstance(data, dict) else []
        return [Example.model_validate({**item, "tenant": tenant}) for item in items]
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        raise ConfigError(f"{path}: not a valid few-shot file: {exc}") from exc


def template_examples() -> list[Example]:
    """Every chart template's `examples()`, described by the title the template gives it (en and ja)."""
    found: list[Example] = []
    for template in registry.all_charts():
        for params in template.examples():
            parsed = template.parse(params)
            for locale in ("en", "ja"):
                found.append(
                    Example(
                        text=template.title(parsed, locale),
                        template=template.name,
                        params=params,
                        lang=locale,
                        source="template",
                    )
                )
    return found


# --- failure log --------------------------------------------------------------------------------

Status = Literal["new", "promoted", "dismissed"]


class Failure(BaseModel):
    """A question the planner did not answer with the chart the user wanted."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    tenant: str
    user: str | None = None
    text: str = Field(max_length=2000)
    plan: dict[str, Any] | None = Field(default=None, description="What the planner answered, as JSON.")
    error: str = Field(description="Why it failed: the refusal, the question, or the user's complaint.")
    status: Status = "new"
    corrected: dict[str, Any] | None = None


class FailureLog:
    """Failures as JSON lines in one file; rewrites are atomic (write a temp file, then rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, failure: Failure) -> Failure:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(failure.model_dump_json() + "\n")
        return failure

    def read(self) -> list[Failure]:
        if not self.path.is_file():
            return []
        failures: list[Failure] = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                failures.append(Failure.model_validate_json(line))
            except ValidationError as exc:
                raise ConfigError(f"{self.path}:{number}: not a failure record: {exc}") from exc
        return failures

    def write(self, failures: Sequence[Failure]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".failures-", suffix=".jsonl")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.writelines(failure.model_dump_json() + "\n" for failure in failures)
        os.replace(temp, self.path)


def review(log: FailureLog, *, tenant: str | None = None, status: Status | None = "new") -> list[Failure]:
    """Failures to look at, oldest first; `status=None` lists all of them."""
    return [
        failure
        for failure in log.read()
        if (tenant is None or failure.tenant == tenant) and (status is None or failure.status == status)
    ]


def promote(
    log: FailureLog,
    library_dir: Path,
    failure_id: str,
    *,
    template: str,
    params: dict[str, Any],
    text: str | None = None,
    lang: Locale | None = None,
    validate: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
) -> Example:
    """Turn a failure, with its corrected plan, into an example in `library_dir/<tenant>.yaml`.

    The corrected plan is parsed by the template (and by `validate`, e.g. the tenant allow-list,
    when given) before anything is written, so the library never learns a chart that cannot exist.
    """
    failures = log.read()
    failure = next((f for f in failures if f.id == failure_id), None)
    if failure is None:
        raise NotFoundError(f"no failure {failure_id!r} in {log.path}")
    chart = registry.chart(template)
    canonical = chart.parse(params).model_dump(mode="json", exclude_defaults=True, exclude={"title"})
    if validate is not None:
        canonical = validate(template, canonical)
    example = Example(
        text=text or failure.text, template=chart.name, params=canonical, lang=lang, source="promoted"
    )
    path = library_dir / f"{failure.tenant}.yaml"
    existing = read_examples(path, tenant=failure.tenant)
    stored = [e.model_dump(exclude={"tenant"}, exclude_none=True) for e in [*existing, example]]
    library_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump({"examples": stored}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    failure.status, failure.corrected = "promoted", {"template": chart.name, "params": canonical}
    log.write(failures)
    return example.model_copy(update={"tenant": failure.tenant})


def describe_failure(failure: Failure) -> str:
    """One line for `supertenant chat review`."""
    return json.dumps(
        {
            "id": failure.id,
            "tenant": failure.tenant,
            "user": failure.user,
            "text": failure.text,
            "error": failure.error,
        },
        ensure_ascii=False,
    )
