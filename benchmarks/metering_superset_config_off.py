"""Superset config for ``metering_overhead.py``'s comparison server: supertenant without metering.

Everything the shipped config sets, except usage recording, daily budgets, the SQL audit log and
/metrics: ``register_usage`` and ``register_metrics`` become no-ops before ``init_app`` imports
them, and ``QUERY_LOGGER`` is unset. Same metadata DB, Redis, users and data. Benchmark only.

``SUPERTENANT_BENCH_OFF`` (comma-separated ``usage``, ``metrics``, ``query_logger``; default all)
switches off only some parts, to find which one costs what.
"""

import os

import supertenant.superset_ext.metrics as _metrics
import supertenant.superset_ext.usage as _usage
from supertenant.superset_ext.config import build_superset_config

_off = set((os.environ.get("SUPERTENANT_BENCH_OFF") or "usage,metrics,query_logger").split(","))
if "usage" in _off:
    _usage.register_usage = lambda app, recorder=None: None
if "metrics" in _off:
    _metrics.register_metrics = lambda app: None
_config = build_superset_config()
if "query_logger" in _off:
    _config["QUERY_LOGGER"] = None
globals().update(_config)
