"""Export a trained checkpoint as an HF-layout model folder that kvkit loads:
model.safetensors (f16 by default, HF Llama tensor names), config.json (HF Llama fields plus the explicit
KV-sharing map), tokenizer.json, and the expected-logits fixture kvkit's tests compare against.

With --dtype f16 the weights are rounded to f16 before anything is written, and the fixture holds the
logits of the rounded weights (computed in f32), so the fixture describes exactly the shipped file.

python3 -m kvkit_train.export --checkpoint runs/gqa-2/checkpoint.pt --out ../../packages/models/gqa \
  --fixture ../../packages/runtime/test/fixtures/gqa.logits.json
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import struct
from typing import Dict, Optional

import torch

from .bpe import ByteLevelBpe
from .model import Llama, ModelConfig
from .variants import VARIANTS

HF_NAMES = {
    "input_layernorm": "input_layernorm",
    "post_attention_layernorm": "post_attention_layernorm",
    "q_proj": "self_attn.q_proj",
    "k_proj": "self_attn.k_proj",
    "v_proj": "self_attn.v_proj",
    "o_proj": "self_attn.o_proj",
    "gate_proj": "mlp.gate_proj",
    "up_proj": "mlp.up_proj",
    "down_proj": "mlp.down_proj",
}


def hf_name(name: str) -> str:
    if name == "embed_tokens.weight":
        return "model.embed_tokens.weight"
    if name == "norm.weight":
        return "model.norm.weight"
    _, layer, module, param = name.split(".")
    return f"model.layers.{layer}.{HF_NAMES[module]}.{param}"


# --dtype -> (safetensors dtype, numpy little-endian type, torch dtype, HF torch_dtype)
DTYPES = {
    "f32": ("F32", "<f4", torch.float32, "float32"),
    "f16": ("F16", "<f2", torch.float16, "float16"),
}


def round_weights(model: Llama, dtype: str) -> None:
    """Round every parameter to `dtype` in place (kept as f32 tensors), so the model computes with exactly
    the values the file will hold."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(DTYPES[dtype][2]).to(torch.float32))


def write_safetensors(path: str, tensors: Dict[str, torch.Tensor], metadata: Dict[str, str], dtype: str = "f32") -> None:
    """safetensors: u64 LE header length, JSON header (names sorted, offsets into the data), raw LE data."""
    st_dtype, np_dtype, _, _ = DTYPES[dtype]
    header: Dict[str, object] = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous().cpu()
        data = t.numpy().astype(np_dtype).tobytes()
        header[name] = {"dtype": st_dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def hf_config(variant: str, cfg: ModelConfig, dtype: str = "f32") -> dict:
    out = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.dim,
        "intermediate_size": cfg.hidden_dim,
        "num_hidden_layers": cfg.n_layers,
        "num_attention_heads": cfg.n_heads,
        "num_key_value_heads": cfg.n_kv_heads,
        "head_dim": cfg.head_dim,
        "max_position_embeddings": cfg.max_seq_len,
        "rms_norm_eps": cfg.norm_eps,
        "rope_theta": cfg.rope_theta,
        "hidden_act": "silu",
        "tie_word_embeddings": True,
        "bos_token_id": cfg.bos_id,
        "eos_token_id": cfg.eos_id,
        "torch_dtype": DTYPES[dtype][3],
        # kvkit's explicit sharing fields: kv_source[l] is the layer whose post-RoPE K/V layer l reads
        # (layers that read another's have no k_proj/v_proj); layer_types/sliding_window as HF's
        # Mistral/Gemma configs, a sliding layer seeing its last `sliding_window` keys, itself included.
        "kv_source": list(cfg.kv_source),
        **VARIANTS[variant]["sharing"],
    }
    if any(w is not None for w in cfg.sliding_window):
        windows = {w for w in cfg.sliding_window if w is not None}
        assert len(windows) == 1
        out["sliding_window"] = windows.pop()
        out["layer_types"] = ["sliding_attention" if w is not None else "full_attention" for w in cfg.sliding_window]
    return out


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fixture_tokens(tok: ByteLevelBpe) -> list:
    """160 tokens: a story opening and a fact, long enough that YOCO's window of 64 matters."""
    text = (
        " Once upon a time, there was a little girl named Lily. She loved to play in the park with her dog, Max."
        " The secret code of the red box is 48213. One day, Lily and Max found a big tree with a hole in it."
        " Lily looked inside and saw a small bird. The bird was sad because it could not fly. Lily wanted to help"
        " the bird, so she took it home and gave it some water and food. The next day, the bird felt better and"
        " sang a happy song.\nWhat is the secret code of the red box? The secret code of the red box is"
    )
    ids = tok.encode(text, bos=True)
    return ids[:160]


def write_fixture(path: str, model: Llama, tok: ByteLevelBpe, variant: str) -> None:
    """PyTorch logits (f32) of the fixture prompt at a few positions, rounded to 6 decimals."""
    ids = fixture_tokens(tok)
    with torch.no_grad():
        logits = model(torch.tensor([ids]))[0]
    positions = [0, 63, 64, 100, len(ids) - 1]
    with open(path, "w") as f:
        json.dump({"variant": variant, "tokens": ids, "positions": positions, "logits": [[round(float(v), 6) for v in logits[p]] for p in positions]}, f, separators=(",", ":"))
        f.write("\n")


def export_model(model: Llama, variant: str, out: str, tokenizer: str, fixture: Optional[str], dtype: str) -> dict:
    """Write the model folder (and the fixture) of a trained model; rounds `model` to `dtype` in place."""
    model.eval()
    round_weights(model, dtype)
    os.makedirs(out, exist_ok=True)
    st = os.path.join(out, "model.safetensors")
    write_safetensors(st, {hf_name(n): p for n, p in model.state_dict().items()}, {"format": "pt", "kvkit_variant": variant}, dtype)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(hf_config(variant, model.cfg, dtype), f, indent=2)
        f.write("\n")
    tok_dst = os.path.join(out, "tokenizer.json")
    if os.path.abspath(tokenizer) != os.path.abspath(tok_dst):
        shutil.copyfile(tokenizer, tok_dst)
    if fixture:
        write_fixture(fixture, model, ByteLevelBpe.load(tok_dst), variant)
    return {"variant": variant, "dtype": dtype, "safetensors_sha256": sha256(st), "bytes": os.path.getsize(st)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fixture", help="write the expected-logits fixture (JSON) here")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="f16", help="weight storage (default f16, what ships)")
    args = ap.parse_args()
    ck = torch.load(args.checkpoint, map_location="cpu")
    cfg = ModelConfig(**ck["config"])
    variant = ck["args"]["variant"]
    model = Llama(cfg)
    model.load_state_dict(ck["state"])
    tok_src = ck["args"].get("tokenizer") or os.path.join(os.path.dirname(args.checkpoint), "tokenizer.json")
    print(json.dumps(export_model(model, variant, args.out, tok_src, args.fixture, args.dtype)))


if __name__ == "__main__":
    main()
