# syntax=docker/dockerfile:1.7
# The chat service (FastAPI): NL → template + params → Superset REST as the requesting user.
# Build context: the repository root. Same constraints file as `make install`.

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY constraints/constraints.txt constraints/constraints.txt
COPY src/ src/
RUN /opt/venv/bin/pip install --upgrade "pip>=24,<26" \
 && /opt/venv/bin/pip install -c constraints/constraints.txt ".[chat]"

FROM python:3.11.14-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PORT=8080
RUN groupadd --system --gid 10001 supertenant \
 && useradd --system --uid 10001 --gid supertenant --home-dir /app --create-home supertenant
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]
CMD ["sh", "-c", "exec uvicorn supertenant.chat.service.app:create_app --factory --host 0.0.0.0 --port \"${PORT}\" --proxy-headers --forwarded-allow-ips='*'"]
