"""Start a sharing variant from a trained MHA checkpoint, as the GQA and MLKV papers do ("uptraining"):
each group of K/V heads is mean-pooled into the variant's KV head (Ainslie et al. 2023), a layer that
reads another layer's K/V drops its own projections, and every other weight is copied."""
from __future__ import annotations

from typing import Dict

import torch

from .model import ModelConfig


def pool_heads(w: torch.Tensor, n_from: int, n_to: int, head_dim: int) -> torch.Tensor:
    """[n_from * hd, d] -> [n_to * hd, d]: the mean of each run of n_from / n_to consecutive heads."""
    assert n_from % n_to == 0
    d = w.shape[1]
    return w.view(n_to, n_from // n_to, head_dim, d).mean(dim=1).reshape(n_to * head_dim, d)


def convert(state: Dict[str, torch.Tensor], src: ModelConfig, dst: ModelConfig) -> Dict[str, torch.Tensor]:
    assert (src.dim, src.n_layers, src.n_heads, src.hidden_dim, src.vocab_size) == (dst.dim, dst.n_layers, dst.n_heads, dst.hidden_dim, dst.vocab_size)
    if (src.n_kv_heads, src.kv_source, src.sliding_window) == (dst.n_kv_heads, dst.kv_source, dst.sliding_window):
        return {name: t.clone() for name, t in state.items()}  # the same architecture: continue training it
    assert all(s == l for l, s in enumerate(src.kv_source)), "uptraining starts from a model whose every layer owns its K/V"
    out = {}
    for name, t in state.items():
        parts = name.split(".")
        if parts[0] == "layers" and parts[2] in ("k_proj", "v_proj"):
            layer = int(parts[1])
            if dst.kv_source[layer] != layer:
                continue
            t = pool_heads(t, src.n_kv_heads, dst.n_kv_heads, src.head_dim)
        out[name] = t.clone()
    return out
