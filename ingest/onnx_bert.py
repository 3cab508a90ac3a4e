"""Build an ONNX graph of a BERT sentence encoder from safetensors weights, without torch.

Written by hand because no PyPI package converts safetensors to ONNX without torch; the
graph is the standard BERT encoder followed by sentence-transformers' mean pooling and
L2 normalisation, so its output is the sentence embedding itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

OPSET = 18  # LayerNormalization (17) and axes as inputs of every Reduce op (18)


class _Graph:
    """Collect nodes and initializers with unique names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], **attrs) -> str:
        self._n += 1
        out = f"{op_type.lower()}_{self._n}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _linear(g: _Graph, x: str, w: dict[str, np.ndarray], prefix: str) -> str:
    weight = g.const(f"{prefix}.wT", np.ascontiguousarray(w[f"{prefix}.weight"].T))
    bias = g.const(f"{prefix}.b", w[f"{prefix}.bias"])
    return g.op("Add", [g.op("MatMul", [x, weight]), bias])


def _layer_norm(g: _Graph, x: str, w: dict[str, np.ndarray], prefix: str, eps: float) -> str:
    scale = g.const(f"{prefix}.g", w[f"{prefix}.weight"])
    bias = g.const(f"{prefix}.b", w[f"{prefix}.bias"])
    return g.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)


def _attention(g: _Graph, x: str, mask_bias: str, w: dict, prefix: str, heads: int, hidden: int) -> str:
    head_dim = hidden // heads
    split = g.const(f"{prefix}.split", np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge = g.const(f"{prefix}.merge", np.array([0, 0, hidden], dtype=np.int64))

    def project(name: str, perm: list[int]) -> str:
        y = g.op("Reshape", [_linear(g, x, w, f"{prefix}.self.{name}"), split])
        return g.op("Transpose", [y], perm=perm)

    q = project("query", [0, 2, 1, 3])  # (B, H, T, d)
    k = project("key", [0, 2, 3, 1])  # (B, H, d, T)
    v = project("value", [0, 2, 1, 3])
    scale = g.const(f"{prefix}.scale", np.array(1.0 / np.sqrt(head_dim), dtype=np.float32))
    scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), scale]), mask_bias])
    context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), merge])
    return _linear(g, context, w, f"{prefix}.output.dense")


def _gelu(g: _Graph, x: str) -> str:
    # Exact (erf) GELU, as BERT's "gelu" activation.
    inv_sqrt2 = g.const(f"gelu_c{len(g.inits)}", np.array(1 / np.sqrt(2), dtype=np.float32))
    one = g.const(f"gelu_one{len(g.inits)}", np.array(1.0, dtype=np.float32))
    half = g.const(f"gelu_half{len(g.inits)}", np.array(0.5, dtype=np.float32))
    erf = g.op("Erf", [g.op("Mul", [x, inv_sqrt2])])
    return g.op("Mul", [g.op("Mul", [x, half]), g.op("Add", [erf, one])])


def build_sentence_encoder(model_dir: Path) -> onnx.ModelProto:
    """Return an ONNX model mapping (input_ids, attention_mask) to normalised mean-pooled embeddings, and
    to the last layer's token embeddings (for token-level matching)."""
    config = json.loads((model_dir / "config.json").read_text())
    w = load_file(str(model_dir / "model.safetensors"))
    hidden, heads, eps = config["hidden_size"], config["num_attention_heads"], config["layer_norm_eps"]
    g = _Graph()

    word = g.op("Gather", [g.const("word_emb", w["embeddings.word_embeddings.weight"]), "input_ids"])
    seq_len = g.op("Gather", [g.op("Shape", ["input_ids"]), g.const("one_i", np.array(1, dtype=np.int64))])
    positions = g.op("Range", [g.const("zero_i", np.array(0, dtype=np.int64)), seq_len,
                               g.const("step_i", np.array(1, dtype=np.int64))])
    pos = g.op("Gather", [g.const("pos_emb", w["embeddings.position_embeddings.weight"]), positions])
    token_type = g.const("type_emb", w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(g, g.op("Add", [g.op("Add", [word, pos]), token_type]), w, "embeddings.LayerNorm", eps)

    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)  # (B, T)
    mask4 = g.op("Unsqueeze", [mask, g.const("axes_12", np.array([1, 2], dtype=np.int64))])
    neg = g.const("neg_large", np.array(-1e4, dtype=np.float32))
    mask_bias = g.op("Mul", [g.op("Sub", [g.const("one_f", np.array(1.0, dtype=np.float32)), mask4]), neg])

    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        attn = _attention(g, x, mask_bias, w, f"{p}.attention", heads, hidden)
        x = _layer_norm(g, g.op("Add", [attn, x]), w, f"{p}.attention.output.LayerNorm", eps)
        inter = _gelu(g, _linear(g, x, w, f"{p}.intermediate.dense"))
        x = _layer_norm(g, g.op("Add", [_linear(g, inter, w, f"{p}.output.dense"), x]), w, f"{p}.output.LayerNorm", eps)

    g.nodes.append(helper.make_node("Identity", [x], ["token_embeddings"]))
    mask3 = g.op("Unsqueeze", [mask, g.const("axes_2", np.array([2], dtype=np.int64))])
    summed = g.op("ReduceSum", [g.op("Mul", [x, mask3]), g.const("axes_1", np.array([1], dtype=np.int64))], keepdims=0)
    count = g.op("ReduceSum", [mask3, "axes_1"], keepdims=0)
    count = g.op("Max", [count, g.const("tiny", np.array(1e-9, dtype=np.float32))])
    mean = g.op("Div", [summed, count])
    norm = g.op("ReduceL2", [mean, "axes_1"], keepdims=1)
    norm = g.op("Max", [norm, g.const("eps_norm", np.array(1e-12, dtype=np.float32))])
    g.nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"]))

    graph = helper.make_graph(
        g.nodes,
        "sentence_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden]),
         helper.make_tensor_value_info("token_embeddings", TensorProto.FLOAT, ["batch", "seq", hidden])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model
