#!/bin/sh
# One-off migration job (Cloud Run job `migrate`), run by CI before traffic shifts — never at
# container start. Same order as `supertenant demo` and the tests: Superset's schema, the
# registry's tables, then `superset init` (roles and permissions). Every step is idempotent.
set -eu
echo "superset db upgrade"
superset db upgrade
echo "supertenant db upgrade"
supertenant db upgrade
echo "superset init"
superset init
echo "migrations done"
