"""Console output shared by the commands: one place turns our errors into exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from supertenant.errors import PermanentError, ReasonsError, SupertenantError, TemporaryError

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def print_json(value: Any) -> None:
    """Machine-readable output on stdout, nothing else."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@contextmanager
def reported_errors() -> Iterator[None]:
    """Exit 2 for bad input, 3 for a temporary failure, 1 for anything else we raised."""
    try:
        yield
    except ReasonsError as exc:
        errors.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    except TemporaryError as exc:
        errors.print(f"[red]temporary failure:[/] {exc} (safe to run again)", highlight=False)
        raise typer.Exit(3) from None
    except PermanentError as exc:
        errors.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except SupertenantError as exc:
        errors.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command body so our errors become clear messages and exit codes."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reported_errors():
            return fn(*args, **kwargs)

    return wrapper
