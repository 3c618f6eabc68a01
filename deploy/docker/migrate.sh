#!/bin/sh
# One-off migration job (Cloud Run job `migrate`), run by CI before traffic shifts — never at
# container start. Same order as `supertenant demo` and the tests: Superset's schema, the
# registry's tables, `superset init` (roles and permissions), then the platform admin the CLI
# acts as (idempotent: an existing admin is left as it is). Every step is safe to repeat.
set -eu
echo "superset db upgrade"
superset db upgrade
echo "supertenant db upgrade"
supertenant db upgrade
echo "superset init"
superset init
if [ -n "${SUPERTENANT_ADMIN_PASSWORD:-}" ]; then
  echo "platform admin"
  # The password is in this one-off container's argv only; it is never printed.
  superset fab create-admin --username "${SUPERTENANT_ADMIN_USERNAME:-admin}" --firstname Platform \
    --lastname Admin --email platform-admin@supertenant.invalid --password "$SUPERTENANT_ADMIN_PASSWORD"
fi
echo "migrations done"
