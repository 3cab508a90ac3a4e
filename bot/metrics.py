"""Prometheus metrics of the bot, in their own registry (so tests and several bots never share one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    """Questions, refusals, fallbacks, answer latency, re-index runs and failures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter("missionbot_questions", "Questions answered (any outcome)",
                                 registry=self.registry)
        self.refusals = Counter("missionbot_refusals", "Answers saying the documents don't say",
                                registry=self.registry)
        self.fallbacks = Counter("missionbot_llm_fallbacks", "LLM failures answered extractively",
                                 registry=self.registry)
        self.errors = Counter("missionbot_question_errors", "Questions that failed, by kind", ["kind"],
                              registry=self.registry)
        self.latency = Histogram("missionbot_answer_seconds", "Time to answer a question",
                                 buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
                                 registry=self.registry)
        self.reindex_runs = Counter("missionbot_reindex_runs", "Re-index runs", registry=self.registry)
        self.reindex_failures = Counter("missionbot_reindex_failures", "Re-index runs that failed",
                                        registry=self.registry)

    def exposition(self) -> bytes:
        """Return the metrics in the Prometheus text format."""
        return generate_latest(self.registry)
