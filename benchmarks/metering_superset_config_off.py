"""Superset config for ``metering_overhead.py``'s comparison server: supertenant without metering.

Everything the shipped config sets, except usage recording, daily budgets, the SQL audit log and
/metrics: ``register_usage`` and ``register_metrics`` become no-ops before ``init_app`` imports
them, and ``QUERY_LOGGER`` is unset. Same metadata DB, Redis, users and data. Benchmark only.
"""

import supertenant.superset_ext.metrics as _metrics
import supertenant.superset_ext.usage as _usage
from supertenant.superset_ext.config import build_superset_config

_usage.register_usage = lambda app, recorder=None: None
_metrics.register_metrics = lambda app: None
_config = build_superset_config()
_config["QUERY_LOGGER"] = None
globals().update(_config)
