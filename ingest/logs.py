"""Logging for the entry points: human-readable lines, or JSON lines with MISSIONBOT_LOG_FORMAT=json."""

from __future__ import annotations

import logging


def configure_logging(log_format: str, level: int) -> None:
    """Send log records to stderr as text lines or, for a log collector, as JSON objects."""
    handler = logging.StreamHandler()
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
