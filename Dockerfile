# Rupor: `docker run -v rupor-data:/data -v ./config.toml:/app/config.toml:ro rupor`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    RUPOR_CONFIG=/app/config.toml \
    RUPOR_DATABASE__URL=sqlite:////data/rupor.sqlite3 \
    RUPOR_SERVER__HOST=0.0.0.0

WORKDIR /app
COPY pyproject.toml README.md ./
COPY core ./core
COPY bots ./bots
COPY scheduler ./scheduler
COPY sandbox ./sandbox
COPY migrations ./migrations
RUN pip install . \
    && useradd --system --uid 10001 --home /app rupor \
    && mkdir -p /data && chown rupor /data

USER rupor
VOLUME ["/data"]
EXPOSE 8080
# The schema is upgraded on start so a new image never runs against an old schema.
CMD ["sh", "-c", "rupor db upgrade && exec rupor run"]
