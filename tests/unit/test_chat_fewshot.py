"""Few-shot library and failure log: loading, review, and promotion of a corrected plan."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from supertenant.chat import Failure, FailureLog, Library, promote, review
from supertenant.chat.fewshot import GLOBAL_LIBRARY, read_examples, template_examples
from supertenant.errors import ConfigError, NotFoundError
from supertenant.templates import registry
from supertenant.templates.errors import TemplateError


def test_global_library_is_valid_and_covers_every_template() -> None:
    examples = read_examples(GLOBAL_LIBRARY)
    assert {example.template for example in examples} == {t.name for t in registry.all_charts()}
    assert {example.lang for example in examples} == {"en", "ja"}
    for example in examples:
        registry.chart(example.template).parse(example.params)


def test_template_examples_are_described_in_both_languages() -> None:
    examples = template_examples()
    assert {example.source for example in examples} == {"template"}
    assert len(examples) == 2 * sum(len(t.examples()) for t in registry.all_charts())


def test_tenant_files_are_loaded_for_their_tenant_only(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(
        yaml.safe_dump({"examples": [{"text": "spend per brand", "template": "ranking", "params": {}}]})
    )
    library = Library.load(tmp_path, include_templates=False)
    assert any(example.tenant == "acme" for example in library.for_tenant("acme"))
    assert not any(example.tenant == "acme" for example in library.for_tenant("other"))


def test_a_broken_library_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text("examples: [{text: x}]")
    with pytest.raises(ConfigError, match=r"acme\.yaml"):
        Library.load(tmp_path)


@pytest.fixture
def log(tmp_path: Path) -> FailureLog:
    failures = FailureLog(tmp_path / "chat" / "failures.jsonl")
    failures.append(Failure(id="f1", tenant="acme", user="u1", text="show campaigns", error="which metric?"))
    failures.append(Failure(id="f2", tenant="other", text="what's up", error="not understood"))
    return failures


def test_review_lists_new_failures_per_tenant(log: FailureLog) -> None:
    assert [f.id for f in review(log)] == ["f1", "f2"]
    assert [f.id for f in review(log, tenant="acme")] == ["f1"]


def test_promote_validates_then_stores_the_example_and_marks_the_failure(
    log: FailureLog, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    example = promote(
        log,
        library,
        "f1",
        template="table",
        params={"dimensions": ["campaign_name"], "metrics": ["clicks"], "order": "desc"},
        lang="en",
    )
    assert example.tenant == "acme"
    assert example.params == {
        "dimensions": ["campaign_name"],
        "metrics": ["clicks"],
    }
    stored = read_examples(library / "acme.yaml", tenant="acme")
    assert [(e.text, e.template, e.source) for e in stored] == [("show campaigns", "table", "promoted")]
    assert [f.id for f in review(log)] == ["f2"]
    assert next(f for f in review(log, status=None) if f.id == "f1").status == "promoted"
    promote(log, library, "f2", template="kpi", params={"metric": "cost"})
    assert len(read_examples(library / "other.yaml")) == 1  # one file per tenant


def test_promote_refuses_invalid_plans_and_unknown_failures(log: FailureLog, tmp_path: Path) -> None:
    with pytest.raises(TemplateError):
        promote(log, tmp_path, "f1", template="kpi", params={"metric": "bounce_rate"})
    with pytest.raises(NotFoundError):
        promote(log, tmp_path, "nope", template="kpi", params={"metric": "cost"})
    assert not (tmp_path / "acme.yaml").exists()

    def deny(template: str, params: dict[str, object]) -> dict[str, object]:
        raise TemplateError("dataset_unavailable", "not this tenant's")

    with pytest.raises(TemplateError):
        promote(log, tmp_path, "f1", template="kpi", params={"metric": "cost"}, validate=deny)
    assert review(log)[0].status == "new"


def test_a_corrupt_log_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "failures.jsonl"
    path.write_text('{"tenant": "acme"}\n')
    with pytest.raises(ConfigError, match=r"failures\.jsonl:1"):
        FailureLog(path).read()
