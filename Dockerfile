# armadilhas GitHub App: `armadilhas serve` (web + embedded SQLite queue) by default;
# docker-compose.yml runs it with Redis and separate workers.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ARMADILHAS_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000

WORKDIR /app
# Dependencies first (their layer survives code changes), pinned and checked by hash: the same
# versions CI tests (requirements-test.lock is this lock plus the test tools).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md app.yml ./
COPY analyzers ./analyzers
COPY bot ./bot
COPY prompts ./prompts
RUN pip install --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin armadilhas \
    && mkdir -p /data \
    && chown armadilhas /data

USER armadilhas
# The App's registration (app.json, app.pem), the SQLite queue and state live here.
VOLUME ["/data"]
EXPOSE 3000
# Liveness: the process answers. Readiness (queue, store, job latency) is /readyz.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=2)"
CMD ["armadilhas", "serve"]
