# armadilhas GitHub App: `armadilhas serve` (webhook + embedded SQLite queue) by default;
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
COPY pyproject.toml README.md app.yml ./
COPY analyzers ./analyzers
COPY bot ./bot
COPY prompts ./prompts
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin armadilhas \
    && mkdir -p /data \
    && chown armadilhas /data

USER armadilhas
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/healthz', timeout=2)"
CMD ["armadilhas", "serve"]
