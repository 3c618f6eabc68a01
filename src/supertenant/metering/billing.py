"""Invoices from the registry: read the month's rows, then price them with the pure `invoice` module."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from supertenant.errors import NotFoundError
from supertenant.metering import store
from supertenant.metering.invoice import Invoice, build_invoice
from supertenant.metering.pricebook import PriceBook
from supertenant.registry.tables import tenants


def month_invoices(
    engine: sa.engine.Engine, book: PriceBook, month: str, tenant: str | None = None
) -> list[Invoice]:
    """One invoice per registered tenant (or just ``tenant``), in slug order."""
    start, end = store.month_bounds(month)
    with engine.connect() as connection:
        query = sa.select(tenants.c.slug, tenants.c.plan).order_by(tenants.c.slug)
        if tenant is not None:
            query = query.where(tenants.c.slug == tenant)
        registered = connection.execute(query).all()
        if tenant is not None and not registered:
            raise NotFoundError(f"tenant {tenant!r} is not registered")
        invoices = []
        for slug, plan in registered:
            usage = store.usage_rows(connection, start, end, slug)
            costs = store.cost_rows(connection, start.date(), end.date(), slug)
            invoices.append(
                build_invoice(
                    tenant=slug, month=month, registry_plan=plan, book=book, usage=usage, costs=costs
                )
            )
    return invoices


def parse_month(text: str) -> str:
    """``YYYY-MM``, checked."""
    from supertenant.errors import ReasonsError

    try:
        date.fromisoformat(f"{text}-01")
    except ValueError:
        raise ReasonsError([f"--month {text!r}: expected YYYY-MM"]) from None
    if len(text) != 7:
        raise ReasonsError([f"--month {text!r}: expected YYYY-MM"])
    return text
