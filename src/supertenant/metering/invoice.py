"""Pure invoices: usage rows + warehouse cost rows + a plan → priced lines, each traceable to rows.

The same inputs always give the same invoice (no clock, stable ordering), so an invoice can be
re-computed and compared at any time. Every line's ``trace`` names the table and the row ids it
was computed from.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from supertenant.metering.events import KINDS
from supertenant.metering.pricebook import PassThroughPlan, PerSeatPlan, PriceBook
from supertenant.metering.rating import TIB, CostRow, bytes_cost, money


@dataclass(frozen=True, slots=True)
class Trace:
    table: str
    ids: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "ids": list(self.ids)}


@dataclass(frozen=True, slots=True)
class Line:
    code: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal  # rounded to cents
    trace: tuple[Trace, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "unit_price": str(self.unit_price),
            "amount": str(self.amount),
            "trace": [t.to_json() for t in self.trace],
        }


@dataclass(frozen=True, slots=True)
class Invoice:
    tenant: str
    month: str
    plan: str
    model: str
    currency: str
    lines: tuple[Line, ...]
    usage: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "month": self.month,
            "plan": self.plan,
            "model": self.model,
            "currency": self.currency,
            "lines": [line.to_json() for line in self.lines],
            "total": str(self.total),
            "usage": dict(self.usage),
        }


def _tib(nbytes: int) -> Decimal:
    return (Decimal(nbytes) / Decimal(TIB)).quantize(Decimal("0.000001"))


def warehouse_lines(costs: Sequence[CostRow], prices: Mapping[str, Decimal]) -> list[Line]:
    """One line per warehouse source: the bytes billed in the month at that source's price per TiB."""
    lines = []
    for source in sorted({c.source for c in costs}):
        rows = [c for c in costs if c.source == source]
        nbytes = sum(c.bytes_billed for c in rows)
        price = prices.get(source, Decimal(0))
        lines.append(
            Line(
                code=f"warehouse_{source}",
                description=f"Warehouse ({source}): {nbytes} bytes, {sum(c.jobs for c in rows)} queries",
                quantity=_tib(nbytes),
                unit="TiB",
                unit_price=price,
                amount=money(bytes_cost(nbytes, price)),
                trace=(Trace("warehouse_costs", tuple(sorted(c.id for c in rows if c.id is not None))),),
            )
        )
    return lines


def active_users(usage: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Each user with at least one event in the month → the id of their first event (the evidence)."""
    first: dict[str, int] = {}
    for row in sorted(usage, key=lambda r: int(r["id"])):
        name = row.get("username")
        if name and row.get("user_id") is not None and row.get("status", "ok") == "ok":
            first.setdefault(str(name), int(row["id"]))
    return dict(sorted(first.items()))


def build_invoice(
    *,
    tenant: str,
    month: str,
    registry_plan: str,
    book: PriceBook,
    usage: Sequence[Mapping[str, Any]],
    costs: Sequence[CostRow],
) -> Invoice:
    plan_name = book.plan_name(tenant, registry_plan)
    plan = book.plan_for(tenant, registry_plan)
    prices = book.warehouse.by_source()
    lines: list[Line]
    if isinstance(plan, PassThroughPlan):
        passthrough = warehouse_lines(costs, prices)
        warehouse_total = sum((line.amount for line in passthrough), Decimal("0.00"))
        lines = [
            Line(
                "base_fee",
                f"Base fee, plan {plan_name}",
                Decimal(1),
                "month",
                plan.base_fee,
                money(plan.base_fee),
            ),
            *passthrough,
            Line(
                "warehouse_margin",
                f"Margin on warehouse cost ({plan.margin * 100:.0f} %)",
                warehouse_total,
                plan_name,
                plan.margin,
                money(warehouse_total * plan.margin),
                tuple(t for line in passthrough for t in line.trace),
            ),
        ]
    else:
        assert isinstance(plan, PerSeatPlan)
        seats = active_users(usage)
        nbytes = sum(c.bytes_billed for c in costs)
        over = max(0, nbytes - plan.included_bytes)
        cost_ids = tuple(sorted(c.id for c in costs if c.id is not None))
        lines = [
            Line(
                "seats",
                f"Active users: {', '.join(seats) or 'none'}",
                Decimal(len(seats)),
                "seat",
                plan.seat_fee,
                money(plan.seat_fee * len(seats)),
                (Trace("usage_events", tuple(seats.values())),),
            ),
            Line(
                "warehouse_overage",
                f"Warehouse bytes over the included {plan.included_bytes}: {over} of {nbytes}",
                _tib(over),
                "TiB",
                plan.overage_per_tib,
                money(bytes_cost(over, plan.overage_per_tib)),
                (Trace("warehouse_costs", cost_ids),),
            ),
        ]
    counts = Counter(str(row["kind"]) for row in usage if row.get("status", "ok") == "ok")
    return Invoice(
        tenant=tenant,
        month=month,
        plan=plan_name,
        model=plan.model,
        currency=book.currency,
        lines=tuple(lines),
        usage={kind: counts.get(kind, 0) for kind in KINDS},
    )


# --- rendering --------------------------------------------------------------------------------------


def render_json(invoices: Sequence[Invoice]) -> str:
    return json.dumps([i.to_json() for i in invoices], ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = (
    "tenant",
    "month",
    "plan",
    "currency",
    "code",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "trace",
)


def render_csv(invoices: Sequence[Invoice]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for inv in invoices:
        for line in inv.lines:
            trace = " ".join(f"{t.table}:{','.join(map(str, t.ids))}" for t in line.trace)
            writer.writerow(
                (
                    inv.tenant,
                    inv.month,
                    inv.plan,
                    inv.currency,
                    line.code,
                    line.description,
                    line.quantity,
                    line.unit,
                    line.unit_price,
                    line.amount,
                    trace,
                )
            )
        writer.writerow(
            (inv.tenant, inv.month, inv.plan, inv.currency, "total", "", "", "", "", inv.total, "")
        )
    return out.getvalue()


def render_html(invoices: Sequence[Invoice]) -> str:
    e = html.escape
    parts = [
        '<!doctype html><html><head><meta charset="utf-8"><title>Invoices</title>',
        "<style>body{font-family:sans-serif}td,th{padding:4px 8px;border-bottom:1px solid #ddd}"
        "td.n{text-align:right}</style></head><body>",
    ]
    for inv in invoices:
        parts.append(f"<h2>{e(inv.tenant)} — {e(inv.month)} (plan {e(inv.plan)})</h2><table>")
        parts.append("<tr><th>item</th><th>quantity</th><th>unit price</th><th>amount</th><th>from</th></tr>")
        for line in inv.lines:
            trace = "; ".join(f"{t.table} {len(t.ids)} rows" for t in line.trace)
            parts.append(
                f"<tr><td>{e(line.description)}</td><td class=n>{line.quantity} {e(line.unit)}</td>"
                f"<td class=n>{line.unit_price}</td><td class=n>{line.amount} {e(inv.currency)}</td>"
                f"<td>{e(trace)}</td></tr>"
            )
        parts.append(
            f"<tr><th colspan=3>total</th><th class=n>{inv.total} {e(inv.currency)}</th><td></td></tr>"
        )
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)
