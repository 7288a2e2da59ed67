# Saalumfrage: one image for the app and the one-shot migration.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv PATH="/opt/venv/bin:$PATH"
RUN pip install --no-cache-dir uv
# WeasyPrint (printed voting cards) draws with Pango; DejaVu is the cards' font.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/saalumfrage
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY app ./app
COPY migrations ./migrations
COPY alembic.ini babel.cfg ./
RUN uv sync --frozen --no-dev && useradd --system --home /srv/saalumfrage saal
USER saal
EXPOSE 8000
ENV ENVIRONMENT=production AUTO_MIGRATE=false
# One worker per core is a good start; one worker holds 10,000 phones (docs/benchmarks.md).
# app.server: uvicorn with a stop that answers requests already received (no 502 at the proxy on docker stop),
# and --http with a deadline and a size limit for request heads (as `saalumfrage serve`).
CMD ["python", "-m", "app.server", "--factory", "app.main:create_app", "--host", "0.0.0.0", "--port", "8000", "--ws", "websockets-sansio", \
     "--ws-per-message-deflate", "false", "--ws-max-size", "65536", "--loop", "uvloop", \
     "--http", "app.server:HeadGuardedHttpToolsProtocol", "--no-access-log", \
     "--proxy-headers", "--forwarded-allow-ips", "*", "--backlog", "4096"]
# Liveness, not readiness: /readyz also asks Redis, and a Redis blip must not mark every replica unhealthy.
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
