"""The ONNX encoder matches an independent numpy implementation of BERT + mean pooling to 1e-5."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from safetensors.numpy import load_file

from ingest.embeddings import MiniLMEmbeddings, local_embeddings, local_model_dir


def reference_encode(texts: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 written out in numpy from its published architecture, one text at a time."""
    from tokenizers import Tokenizer

    model_dir = local_model_dir()
    config = json.loads((model_dir / "config.json").read_text())
    w = load_file(str(model_dir / "model.safetensors"))
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()  # the shipped tokenizer.json pads to 128 and truncates at 128;
    tokenizer.enable_truncation(256)  # sentence-transformers uses the model's 256-token window
    heads, eps = config["num_attention_heads"], config["layer_norm_eps"]

    def norm(x, p):
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * w[f"{p}.weight"] + w[f"{p}.bias"]

    def dense(x, p):
        return x @ w[f"{p}.weight"].T + w[f"{p}.bias"]

    erf = np.vectorize(math.erf)
    out = []
    for text in texts:
        ids = tokenizer.encode(text).ids
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
        x = norm((x + w["embeddings.token_type_embeddings.weight"][0]).astype(np.float64), "embeddings.LayerNorm")
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}"
            q, k, v = (dense(x, f"{p}.attention.self.{n}").reshape(len(ids), heads, -1).transpose(1, 0, 2)
                       for n in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
            probs = np.exp(scores - scores.max(-1, keepdims=True))
            probs /= probs.sum(-1, keepdims=True)
            context = (probs @ v).transpose(1, 0, 2).reshape(len(ids), -1)
            x = norm(dense(context, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            h = dense(x, f"{p}.intermediate.dense")
            h = 0.5 * h * (1 + erf(h / math.sqrt(2)))
            x = norm(dense(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        mean = x.mean(0)
        out.append(mean / np.linalg.norm(mean))
    return np.array(out)


TEXTS = [
    "hello world",
    "On the 6th of November the visit took off with a knowledge-sharing Roundtable in Copenhagen.",
    "Wer leitete die Delegation?",
    "x " * 400,  # longer than the 256-token window: truncated like sentence-transformers
]


def test_onnx_encoder_matches_numpy_reference():
    got = local_embeddings().encode(TEXTS)  # batched together: padding must not change the result
    expected = reference_encode(TEXTS)
    assert got.shape == (4, 384)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_known_value_of_the_published_model():
    # First components of all-MiniLM-L6-v2's embedding of "hello world" as sentence-transformers gives it.
    vector = local_embeddings().embed_query("hello world")
    assert vector[:3] == pytest.approx([-0.03447727, 0.03102318, 0.00673496], abs=1e-5)


class CountingSession:
    """The model's session, counting its runs."""

    def __init__(self, session) -> None:
        self.session, self.runs = session, 0

    def run(self, *args, **kwargs):
        self.runs += 1
        return self.session.run(*args, **kwargs)


def test_a_question_runs_through_the_model_once_for_its_vector_and_its_tokens():
    model = MiniLMEmbeddings()
    model._session = counting = CountingSession(model._session)
    question = "Where was the roundtable held?"
    vector = model.embed_query(question)  # the dense search's
    tokens, offsets = model.encode_tokens([question])[0]  # the reader's
    assert counting.runs == 1
    # The same outputs as the batched path, which runs each output on its own.
    np.testing.assert_allclose(vector, model.encode([question, "hello world"])[0], atol=1e-6)
    np.testing.assert_allclose(tokens, model.encode_tokens([question, "hello world"])[0][0], atol=1e-5)
    assert offsets[1] == (0, 5)  # "Where", after [CLS]


def test_an_unchanged_reindex_never_starts_the_model(bundled_index, monkeypatch):
    import ingest.embeddings
    from ingest import open_store, sync_index

    settings, _ = bundled_index
    model = MiniLMEmbeddings()  # a model of its own, not the process-wide one the other tests have started
    monkeypatch.setattr(ingest.embeddings, "local_embeddings", lambda threads=0: model)
    report = sync_index(settings, open_store(settings))
    assert report.added == report.updated == 0 and model._loaded is None  # about a second saved per run
    assert len(model.embed_query("Where was the roundtable held?")) == 384  # and it starts when needed
