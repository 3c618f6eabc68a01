"""Price book parsing and invoices: both plan models, rounding, traces, determinism."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from supertenant.errors import ConfigError
from supertenant.metering.invoice import build_invoice, render_csv, render_html, render_json
from supertenant.metering.pricebook import DEFAULT_PRICEBOOK, load_pricebook, parse_pricebook
from supertenant.metering.rating import TIB, CostRow

BOOK = parse_pricebook(
    """
currency: JPY
warehouse: {bigquery_per_tib: "1000", duckdb_per_tib: "500"}
plans:
  pass: {model: base_plus_passthrough, base_fee: "30000", margin: "0.15"}
  seat: {model: per_seat, seat_fee: "2000", included_bytes: 1099511627776, overage_per_tib: "1500"}
tenants:
  acme: {plan: seat, daily_budget: "99"}
"""
)


def usage(id_: int, user: str | None, kind: str = "chart_data", status: str = "ok") -> dict[str, Any]:
    return {
        "id": id_,
        "username": user,
        "user_id": None if user is None else id_,
        "kind": kind,
        "status": status,
    }


def cost(id_: int, source: str, billed: int, day: int = 1) -> CostRow:
    return CostRow(source, "s", date(2026, 11, day), "t", "", 1, billed, billed, id=id_)


def test_the_default_price_book_loads_and_defines_the_demo_plans() -> None:
    book = load_pricebook(DEFAULT_PRICEBOOK)
    assert {"standard", "growth"} <= set(book.plans)
    assert book.daily_budget("anyone", "standard") == Decimal("25.00")


def test_a_bad_price_book_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"plans\.x\.base_plus_passthrough\.base_fee"):
        parse_pricebook("plans: {x: {model: base_plus_passthrough, base_fee: '-1', margin: '0'}}")
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_pricebook("plans: [")


def test_unknown_plan_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="'gold'"):
        build_invoice(tenant="t", month="2026-11", registry_plan="gold", book=BOOK, usage=[], costs=[])


def test_pass_through_is_base_plus_cost_plus_margin() -> None:
    costs = [
        cost(1, "bigquery", 3 * TIB // 2),
        cost(2, "bigquery", TIB // 2, day=2),
        cost(3, "duckdb", TIB // 4),
    ]
    invoice = build_invoice(
        tenant="t", month="2026-11", registry_plan="pass", book=BOOK, usage=[], costs=costs
    )
    lines = [(line.code, line.amount) for line in invoice.lines]
    # bigquery 2 TiB × 1000 = 2000; duckdb 0.25 TiB × 500 = 125; margin 15 % of 2125 = 318.75
    assert lines == [
        ("base_fee", Decimal("30000.00")),
        ("warehouse_bigquery", Decimal("2000.00")),
        ("warehouse_duckdb", Decimal("125.00")),
        ("warehouse_margin", Decimal("318.75")),
    ]
    assert invoice.total == Decimal("32443.75")
    assert invoice.lines[1].trace[0].ids == (1, 2)
    assert invoice.lines[3].trace[0].table == "warehouse_costs"


def test_per_seat_counts_active_users_and_bytes_over_the_threshold() -> None:
    rows = [
        usage(5, "ana"),
        usage(6, "bob", "login"),
        usage(7, "ana", "dashboard_view"),
        usage(8, "cho", status="refused"),  # refused only: not an active seat
        usage(9, None, "chat_request"),
    ]
    costs = [cost(1, "bigquery", TIB + TIB // 10)]
    invoice = build_invoice(
        tenant="acme", month="2026-11", registry_plan="pass", book=BOOK, usage=rows, costs=costs
    )
    assert invoice.plan == "seat"  # the price book's override wins over the registry's plan
    seats, overage = invoice.lines
    assert (seats.quantity, seats.amount, seats.trace[0].ids) == (Decimal(2), Decimal("4000.00"), (5, 6))
    # 0.1 TiB (109951162777 bytes, rounded down by //) × 1500 = 149.99999…
    assert overage.amount == Decimal("150.00")
    assert invoice.usage["chart_data"] == 1
    assert invoice.usage["login"] == 1


def test_money_rounds_half_up_per_line() -> None:
    book = parse_pricebook("plans: {p: {model: base_plus_passthrough, base_fee: '0.005', margin: '0.5'}}")
    invoice = build_invoice(tenant="t", month="2026-11", registry_plan="p", book=book, usage=[], costs=[])
    assert invoice.lines[0].amount == Decimal("0.01")


def test_rendering_is_deterministic_and_complete() -> None:
    costs = [cost(1, "bigquery", TIB)]
    make = lambda: build_invoice(  # noqa: E731
        tenant="t", month="2026-11", registry_plan="pass", book=BOOK, usage=[usage(1, "a")], costs=costs
    )
    assert render_json([make()]) == render_json([make()])
    csv = render_csv([make()])
    assert csv.splitlines()[0].startswith("tenant,month,plan,currency,code")
    assert "warehouse_costs:1" in csv
    assert csv.splitlines()[-1].endswith(",31150.00,")
    html = render_html([make()])
    assert "31150.00 JPY" in html
    assert "<script" not in render_html(
        [build_invoice(tenant="<script>", month="m", registry_plan="pass", book=BOOK, usage=[], costs=[])]
    )
