# syntax=docker/dockerfile:1.7
# Superset 6.1 + supertenant: one build, four targets that differ only in their command.
#   web     gunicorn serving Superset with the extension loaded
#   worker  Celery worker (async queries, reports, metering jobs)
#   beat    Celery beat — run exactly one
#   ops     web + pg_dump/git: the migration job (migrate.sh) and `supertenant backup`
# Build context: the repository root. Installs with the same constraints file as `make install`.

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY constraints/constraints.txt constraints/constraints.txt
COPY src/ src/
# Same pins as the Makefile (constraints pin every package); runtime extras only, no dev tools.
RUN /opt/venv/bin/pip install --upgrade "pip>=24,<26" \
 && /opt/venv/bin/pip install -c constraints/constraints.txt ".[superset,bigquery]"

FROM python:3.11.14-slim-bookworm AS base
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FLASK_APP="superset.app:create_app()" \
    SUPERSET_CONFIG_PATH=/opt/venv/lib/python3.11/site-packages/supertenant/superset_ext/superset_config.py \
    SUPERTENANT_DATA_DIR=/tmp/supertenant \
    PORT=8088
RUN groupadd --system --gid 10001 supertenant \
 && useradd --system --uid 10001 --gid supertenant --home-dir /app --create-home supertenant
COPY --from=build /opt/venv /opt/venv
COPY deploy/docker/run_celery.py deploy/docker/migrate.sh /app/
WORKDIR /app
USER 10001:10001

FROM base AS web
EXPOSE 8088
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8088'), timeout=4)"]
# gunicorn binds 0.0.0.0:$PORT by itself when PORT is set (Cloud Run sets it). No migrations here.
CMD ["gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads", "8", "--timeout", "300", \
     "--limit-request-line", "0", "--limit-request-field_size", "0", "--access-logfile", "-", \
     "superset.app:create_app()"]

FROM base AS worker
EXPOSE 8088
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('PORT', '8088'), timeout=4)"]
# run_celery.py answers Cloud Run's health checks on $PORT for as long as Celery runs.
CMD ["python", "/app/run_celery.py", "worker", "--concurrency", "4", "--loglevel", "INFO"]

FROM base AS beat
EXPOSE 8088
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ.get('PORT', '8088'), timeout=4)"]
CMD ["python", "/app/run_celery.py", "beat", "--schedule", "/tmp/celerybeat-schedule", "--loglevel", "INFO"]

FROM base AS ops
USER 0:0
# pg_dump must be at least the server's major version (Cloud SQL POSTGRES_15).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15=15.* git=1:2.39.* \
 && rm -rf /var/lib/apt/lists/*
USER 10001:10001
HEALTHCHECK NONE
CMD ["sh", "/app/migrate.sh"]
