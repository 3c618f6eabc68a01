"""`supertenant chat`: plan a chart from a sentence offline, and review / promote the failure log.

No web server is needed: the tenant's vocabulary is read from its DuckDB warehouse (read-only),
located by `--warehouse FILE --schema NAME` or by the tenant spec (`--spec FILE|DIR`; with a
directory, the other tenants' slugs and names are refused when named).

Exit codes of `plan`: 0 a chart, 4 a refusal, 5 a clarifying question (1-3 as for every command).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from supertenant.cli.output import command, console, print_json

app = typer.Typer(
    help="Natural-language chart chat: plan charts offline, review failures.", no_args_is_help=True
)

EXIT_REFUSAL = 4
EXIT_CLARIFY = 5
DEFAULT_LOG = Path(".demo/chat/failures.jsonl")
DEFAULT_LIBRARY = Path(".demo/chat/fewshot")

_SPEC = typer.Option(None, "--spec", help="Tenant spec YAML, or a directory of them (other tenants refused)")
_WAREHOUSE = typer.Option(None, "--warehouse", help="DuckDB file (default: the spec's, under --base-dir)")
_SCHEMA = typer.Option(None, "--schema", help="Schema with the tenant's contract views (default: the spec's)")
_BASE_DIR = typer.Option(Path(".demo"), "--base-dir", help="What a spec's relative warehouse path is under")
_LOG = typer.Option(DEFAULT_LOG, "--log", help="Failure log (JSON lines)")
_LIBRARY = typer.Option(DEFAULT_LIBRARY, "--library", help="Directory of per-tenant few-shot files")


@app.command()
@command
def plan(
    text: str = typer.Argument(..., help="The request, in English or Japanese"),
    tenant: str = typer.Option(..., "--tenant", help="Tenant slug"),
    spec: Path | None = _SPEC,
    warehouse: Path | None = _WAREHOUSE,
    schema: str | None = _SCHEMA,
    base_dir: Path = _BASE_DIR,
    today: str | None = typer.Option(None, "--today", help="YYYY-MM-DD for relative dates (default: today)"),
    locale: str | None = typer.Option(None, "--locale", help="ja or en when no spec says (default en)"),
    library: Path = _LIBRARY,
    log: Path | None = typer.Option(None, "--log", help="Append refusals and questions to this failure log"),
    user: str | None = typer.Option(None, "--user", help="Who asked (recorded in the failure log)"),
) -> None:
    """Print the chart plan for TEXT as JSON, or the refusal / clarifying question (non-zero exit)."""
    from supertenant.chat.fewshot import Failure, FailureLog, Library
    from supertenant.chat.offline import OfflinePlanner
    from supertenant.chat.planner import Plan, Refusal

    day = _day(today)
    vocabulary = _vocabulary(tenant, spec, warehouse, schema, base_dir, locale)
    result = OfflinePlanner(Library.load(library)).plan(text, vocabulary, day)
    print_json(result.to_json())
    if isinstance(result, Plan):
        return
    if log is not None:
        error = result.reason if isinstance(result, Refusal) else result.question
        FailureLog(log).append(
            Failure(tenant=tenant, user=user, text=text, plan=result.to_json(), error=error)
        )
    raise typer.Exit(EXIT_REFUSAL if isinstance(result, Refusal) else EXIT_CLARIFY)


@app.command()
@command
def review(
    log: Path = _LOG,
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant"),
    show_all: bool = typer.Option(False, "--all", help="Include promoted and dismissed failures"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
) -> None:
    """List failures waiting for review (newest last)."""
    from supertenant.chat.fewshot import FailureLog, describe_failure
    from supertenant.chat.fewshot import review as pending

    failures = pending(FailureLog(log), tenant=tenant, status=None if show_all else "new")
    if as_json:
        for failure in failures:
            typer.echo(describe_failure(failure))
        return
    table = Table()
    for column in ("id", "when", "tenant", "user", "text", "answer", "status"):
        table.add_column(column)
    for failure in failures:
        when = failure.at.strftime("%Y-%m-%d %H:%M")
        table.add_row(
            failure.id, when, failure.tenant, failure.user or "", failure.text, failure.error, failure.status
        )
    console.print(table)


@app.command()
@command
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(
        8089, "--port", help="Port (Superset's SUPERTENANT_CHAT_SERVICE_URL points here)"
    ),
) -> None:
    """Run the chat service (FastAPI) in the foreground; it calls Superset at SUPERTENANT_SUPERSET_URL."""
    import uvicorn

    uvicorn.run(
        "supertenant.chat.service.app:create_app", factory=True, host=host, port=port, access_log=False
    )


@app.command()
@command
def promote(
    failure_id: str = typer.Argument(..., help="Failure id from `supertenant chat review`"),
    template: str = typer.Option(..., "--template", help="The chart template the request meant"),
    params: str = typer.Option(..., "--params", help="Its parameters as a JSON object"),
    text: str | None = typer.Option(None, "--text", help="Store this wording instead of the original"),
    log: Path = _LOG,
    library: Path = _LIBRARY,
    spec: Path | None = _SPEC,
    warehouse: Path | None = _WAREHOUSE,
    schema: str | None = _SCHEMA,
    base_dir: Path = _BASE_DIR,
) -> None:
    """Add a failure, with its corrected plan, to the tenant's few-shot examples (validated first)."""
    from supertenant.chat.fewshot import FailureLog
    from supertenant.chat.fewshot import promote as add_example
    from supertenant.chat.planner import Plan
    from supertenant.chat.validate import validate_plan
    from supertenant.templates import registry

    try:
        parsed = json.loads(params)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--params") from None
    if not isinstance(parsed, dict):
        raise typer.BadParameter("must be a JSON object", param_hint="--params")
    failures = FailureLog(log)
    validate = None
    if spec is not None or warehouse is not None:
        owner = next((f.tenant for f in failures.read() if f.id == failure_id), None)
        if owner is not None:
            vocabulary = _vocabulary(owner, spec, warehouse, schema, base_dir, None)

            def validate(name: str, values: dict[str, Any]) -> dict[str, Any]:
                draft = Plan(template=name, version=registry.chart(name).version, params=values)
                return validate_plan(draft, vocabulary).params

    example = add_example(
        failures, library, failure_id, template=template, params=parsed, text=text, validate=validate
    )
    console.print(f"promoted {failure_id} → {library / f'{example.tenant}.yaml'}: {example.template}")


# --- helpers -------------------------------------------------------------------------------------


def _day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("must be YYYY-MM-DD", param_hint="--today") from None


def _vocabulary(
    slug: str,
    spec: Path | None,
    warehouse: Path | None,
    schema: str | None,
    base_dir: Path,
    locale: str | None,
) -> Any:
    """The tenant's vocabulary from its warehouse, located by the options or by its spec."""
    from supertenant.chat.vocabulary import from_duckdb
    from supertenant.errors import ConfigError, NotFoundError
    from supertenant.spec.loader import load_specs
    from supertenant.spec.models import DuckDBWarehouse

    name, accounts, foreign, language = "", None, [], locale or "en"
    if spec is not None:
        specs = load_specs(spec)
        own = next((s for s in specs if s.slug == slug), None)
        if own is None:
            raise NotFoundError(f"{spec} has no tenant {slug!r}; tenants: {', '.join(s.slug for s in specs)}")
        foreign = [value for other in specs if other.slug != slug for value in (other.slug, other.name)]
        name, language = own.name, locale or own.locale
        accounts = list(own.warehouse.account_ids)
        if isinstance(own.warehouse, DuckDBWarehouse):
            warehouse = warehouse or base_dir / own.warehouse.path
            schema = schema or own.warehouse.schema_name
    if warehouse is None or schema is None:
        raise ConfigError("give --warehouse and --schema, or --spec with a DuckDB warehouse")
    if language not in ("ja", "en"):
        raise typer.BadParameter("must be ja or en", param_hint="--locale")
    return from_duckdb(
        warehouse,
        schema,
        slug=slug,
        locale="ja" if language == "ja" else "en",
        name=name,
        account_ids=accounts,
        foreign_names=foreign,
    )
