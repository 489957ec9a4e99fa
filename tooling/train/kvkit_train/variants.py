"""The shipped variants: same data, same steps, d = 128, 8 layers, 4 query heads of 32.

Head sharing in each KV-owning layer: MHA 4 KV heads, GQA 2, MQA 1. MLKV follows the MLKV paper
(MQA in every owning layer, owners [0] + [int((i + 1) L / m)], policies.md §11); CLA-2 and YOCO use
GQA's 2 KV heads, so CLA-2 holds the same bytes per token as MQA with another split of them.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from .model import ModelConfig

L = 8
YOCO_WINDOW = 64


def mlkv_kv_source(n_layers: int, m: int) -> List[int]:
    owners = {0} | {int((i + 1) * n_layers / m) for i in range(m - 1)}
    out, last = [], 0
    for l in range(n_layers):
        last = l if l in owners else last
        out.append(last)
    return out


def cla_kv_source(n_layers: int, factor: int) -> List[int]:
    return [l - l % factor for l in range(n_layers)]


def yoco(n_layers: int, window: int) -> Dict[str, list]:
    half = n_layers // 2
    return {
        "kv_source": [l if l < half else half for l in range(n_layers)],
        "sliding_window": [window if l < half else None for l in range(n_layers)],
    }


# name -> (description, config overrides, HF config fields that describe the sharing)
VARIANTS: Dict[str, dict] = {
    "mha": {"n_kv_heads": 4, "sharing": {"kv_sharing": "mha"}},
    "gqa": {"n_kv_heads": 2, "sharing": {"kv_sharing": "gqa"}},
    "mqa": {"n_kv_heads": 1, "sharing": {"kv_sharing": "mqa"}},
    "mlkv4": {"n_kv_heads": 1, "kv_source": mlkv_kv_source(L, 4), "sharing": {"kv_sharing": "mlkv", "num_key_value_layers": 4}},
    "mlkv2": {"n_kv_heads": 1, "kv_source": mlkv_kv_source(L, 2), "sharing": {"kv_sharing": "mlkv", "num_key_value_layers": 2}},
    "cla2": {"n_kv_heads": 2, "kv_source": cla_kv_source(L, 2), "sharing": {"kv_sharing": "cla", "cla_share_factor": 2}},
    "yoco": {"n_kv_heads": 2, **yoco(L, YOCO_WINDOW), "sharing": {"kv_sharing": "yoco", "yoco": {"self_decoder_layers": L // 2, "sliding_window": YOCO_WINDOW}}},
}


def variant_config(name: str, vocab_size: int, max_seq_len: int) -> ModelConfig:
    v = VARIANTS[name]
    kw = {k: val for k, val in v.items() if k != "sharing"}
    return ModelConfig(vocab_size=vocab_size, n_layers=L, max_seq_len=max_seq_len, **kw)
