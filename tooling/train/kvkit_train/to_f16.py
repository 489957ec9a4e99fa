"""Convert shipped model folders to f16 storage without the training checkpoints: read each folder's
model.safetensors (F32 or F16) and config.json back into the PyTorch model, check that it still gives the
logits of its fixture, then write it again through export.py (weights rounded to f16, safetensors F16,
config torch_dtype float16) with a fixture regenerated from the rounded weights (computed in f32).
Running it on folders that are already f16 rewrites the same bytes.

/usr/bin/python3 -m kvkit_train.to_f16 [--models ../../packages/models] [--fixtures ../../packages/runtime/test/fixtures] [variant ...]
"""
from __future__ import annotations

import argparse
import json
import os
import struct
from typing import Dict, List, Optional

import numpy as np
import torch

from .export import HF_NAMES, export_model, fixture_tokens
from .bpe import ByteLevelBpe
from .model import Llama, ModelConfig
from .variants import VARIANTS

NUMPY = {"F32": "<f4", "F16": "<f2"}
# How far the reloaded model may be from its fixture: the fixture is rounded to 6 decimals.
RELOAD_ATOL = 2e-6


def read_safetensors(path: str) -> tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n :]
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype=NUMPY[e["dtype"]]).reshape(e["shape"])
        tensors[name] = torch.from_numpy(a.astype(np.float32))
    return tensors, metadata


def state_name(hf: str) -> str:
    """The inverse of export.hf_name."""
    if hf == "model.embed_tokens.weight":
        return "embed_tokens.weight"
    if hf == "model.norm.weight":
        return "norm.weight"
    _, _, layer, *module, param = hf.split(".")
    inverse = {v: k for k, v in HF_NAMES.items()}
    return f"layers.{layer}.{inverse['.'.join(module)]}.{param}"


def model_config(hf: dict) -> ModelConfig:
    n = hf["num_hidden_layers"]
    types: Optional[List[str]] = hf.get("layer_types")
    window = [hf["sliding_window"] if types and types[l] == "sliding_attention" else None for l in range(n)]
    return ModelConfig(
        vocab_size=hf["vocab_size"], dim=hf["hidden_size"], n_layers=n, n_heads=hf["num_attention_heads"],
        n_kv_heads=hf["num_key_value_heads"], hidden_dim=hf["intermediate_size"],
        max_seq_len=hf["max_position_embeddings"], norm_eps=hf["rms_norm_eps"], rope_theta=hf["rope_theta"],
        kv_source=list(hf["kv_source"]), sliding_window=window, bos_id=hf["bos_token_id"], eos_id=hf["eos_token_id"],
    )


def max_fixture_diff(model: Llama, tok: ByteLevelBpe, fixture: str) -> float:
    with open(fixture) as f:
        fx = json.load(f)
    ids = fixture_tokens(tok)
    assert ids == fx["tokens"], f"{fixture}: the fixture prompt no longer tokenizes to the fixture's tokens"
    with torch.no_grad():
        logits = model(torch.tensor([ids]))[0]
    want = torch.tensor(fx["logits"], dtype=torch.float32)
    return float((logits[fx["positions"]] - want).abs().max())


def convert(folder: str, fixture: str) -> dict:
    with open(os.path.join(folder, "config.json")) as f:
        cfg = model_config(json.load(f))
    tensors, metadata = read_safetensors(os.path.join(folder, "model.safetensors"))
    variant = metadata["kvkit_variant"]
    assert variant in VARIANTS, f"{folder}: unknown variant {variant!r}"
    model = Llama(cfg)
    model.load_state_dict({state_name(k): v for k, v in tensors.items()}, strict=True)
    model.eval()
    tokenizer = os.path.join(folder, "tokenizer.json")
    before = max_fixture_diff(model, ByteLevelBpe.load(tokenizer), fixture)
    if before > RELOAD_ATOL:
        raise SystemExit(f"{folder}: the reloaded weights are {before:.2e} from {fixture}; not converting")
    out = export_model(model, variant, folder, tokenizer, fixture, "f16")
    return {**out, "reloaded_vs_old_fixture": before}


def main() -> None:
    torch.set_num_threads(1)
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=os.path.join(here, "../../../packages/models"))
    ap.add_argument("--fixtures", default=os.path.join(here, "../../../packages/runtime/test/fixtures"))
    ap.add_argument("variants", nargs="*", default=list(VARIANTS))
    args = ap.parse_args()
    for v in args.variants:
        print(json.dumps(convert(os.path.join(args.models, v), os.path.join(args.fixtures, f"{v}.logits.json"))), flush=True)


if __name__ == "__main__":
    main()
