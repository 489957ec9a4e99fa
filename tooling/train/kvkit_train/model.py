"""A Llama decoder that computes exactly what kvkit's runtime computes.

RMSNorm (x * 1/sqrt(mean(x^2) + eps) * w), half-split RoPE (HF layout) with run.c's f32 frequencies,
SwiGLU (w2(silu(w1 x) * w3 x)), GQA (query head h reads KV head h // g), cross-layer sharing through
`kv_source` (a layer whose kv_source is another layer has no K/V projections and reads that layer's
post-RoPE keys and values) and per-layer sliding windows (a key j is visible to query i when
i - w < j <= i). YOCO is this model with kv_source = [0..L/2-1] + [L/2]*L/2 and windows on the
self-decoder half: layer L/2 projects the one global K/V from the self-decoder's output.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, asdict
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int
    dim: int = 128
    n_layers: int = 8
    n_heads: int = 4
    n_kv_heads: int = 4
    hidden_dim: int = 384
    max_seq_len: int = 2048
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    kv_source: List[int] = field(default_factory=list)
    sliding_window: List[Optional[int]] = field(default_factory=list)
    bos_id: int = 1
    eos_id: int = 2

    def __post_init__(self) -> None:
        if not self.kv_source:
            self.kv_source = list(range(self.n_layers))
        if not self.sliding_window:
            self.sliding_window = [None] * self.n_layers
        assert len(self.kv_source) == self.n_layers and len(self.sliding_window) == self.n_layers
        for l, s in enumerate(self.kv_source):
            assert 0 <= s <= l and self.kv_source[s] == s, f"kv_source[{l}] = {s} is not a source at or below {l}"
        assert self.dim % self.n_heads == 0 and self.n_heads % self.n_kv_heads == 0
        assert (self.dim // self.n_heads) % 2 == 0

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


def rope_tables(cfg: ModelConfig, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin [n, d/2] rounded as kvkit's ropeAngles: f32 frequency, f32 angle, f32 cos/sin."""
    d = cfg.head_dim
    p = torch.arange(d // 2, dtype=torch.float64)
    freq = (1.0 / torch.pow(torch.tensor(cfg.rope_theta, dtype=torch.float64), 2 * p / d).float().double()).float()
    pos = torch.arange(n, dtype=torch.float32)
    angle = (pos[:, None] * freq[None, :])  # f32 product, as Math.fround(pos * freq)
    return torch.cos(angle.double()).float(), torch.sin(angle.double()).float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B, h, T, d]; pairs (i, i + d/2)."""
    half = x.shape[-1] // 2
    a, b = x[..., :half], x[..., half:]
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1)


def block_mask(q0: int, q1: int, k0: int, k1: int, window: Optional[int], device: torch.device) -> torch.Tensor:
    """Additive mask [q1 - q0, k1 - k0] for queries q0..q1-1 over keys k0..k1-1: 0 visible, -inf hidden."""
    i = torch.arange(q0, q1, device=device)[:, None]
    j = torch.arange(k0, k1, device=device)[None, :]
    visible = j <= i if window is None else (j <= i) & (j > i - window)
    return torch.zeros(q1 - q0, k1 - k0, device=device).masked_fill(~visible, float("-inf"))


def causal_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: Optional[int], scale: float, chunk: int) -> torch.Tensor:
    """softmax(q k^T * scale + mask) v for q, k, v [B, H, T, d], computed in blocks of `chunk` queries."""
    B, H, T, d = q.shape
    q3, k3, v3 = q.reshape(B * H, T, d), k.reshape(B * H, T, d), v.reshape(B * H, T, d)
    out = []
    for q0 in range(0, T, chunk):
        q1 = min(T, q0 + chunk)
        k0 = 0 if window is None else max(0, q0 - window + 1)
        mask = block_mask(q0, q1, k0, q1, window, q.device)
        scores = torch.baddbmm(mask, q3[:, q0:q1], k3[:, k0:q1].transpose(1, 2), alpha=scale)
        out.append(torch.bmm(torch.softmax(scores, dim=-1), v3[:, k0:q1]))
    return torch.cat(out, dim=1).view(B, H, T, d)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Layer(nn.Module):
    def __init__(self, cfg: ModelConfig, index: int) -> None:
        super().__init__()
        d, hd = cfg.dim, cfg.head_dim
        self.owns_kv = cfg.kv_source[index] == index
        self.input_layernorm = RMSNorm(d, cfg.norm_eps)
        self.q_proj = nn.Linear(d, cfg.n_heads * hd, bias=False)
        if self.owns_kv:
            self.k_proj = nn.Linear(d, cfg.n_kv_heads * hd, bias=False)
            self.v_proj = nn.Linear(d, cfg.n_kv_heads * hd, bias=False)
        self.o_proj = nn.Linear(cfg.n_heads * hd, d, bias=False)
        self.post_attention_layernorm = RMSNorm(d, cfg.norm_eps)
        self.gate_proj = nn.Linear(d, cfg.hidden_dim, bias=False)
        self.up_proj = nn.Linear(d, cfg.hidden_dim, bias=False)
        self.down_proj = nn.Linear(cfg.hidden_dim, d, bias=False)


class Llama(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Layer(cfg, l) for l in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        # Query rows per attention block: blocks skip the keys a causal (or windowed) mask would hide.
        self.chunk = 256
        # The classifier is the embedding (tied), as in the shipped config.
        self._init()

    def _init(self) -> None:
        std = 0.02
        for name, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.normal_(p, 0.0, std)
            if name.endswith("o_proj.weight") or name.endswith("down_proj.weight"):
                nn.init.normal_(p, 0.0, std / math.sqrt(2 * self.cfg.n_layers))


    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [B, T] -> logits [B, T, vocab]."""
        cfg = self.cfg
        B, T = tokens.shape
        hd, H, Hkv = cfg.head_dim, cfg.n_heads, cfg.n_kv_heads
        cos, sin = rope_tables(cfg, T)
        cos, sin = cos.to(tokens.device), sin.to(tokens.device)
        x = self.embed_tokens(tokens)
        kv: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        for l, layer in enumerate(self.layers):
            h = layer.input_layernorm(x)
            q = apply_rope(layer.q_proj(h).view(B, T, H, hd).transpose(1, 2), cos, sin)
            if layer.owns_kv:
                k = apply_rope(layer.k_proj(h).view(B, T, Hkv, hd).transpose(1, 2), cos, sin)
                v = layer.v_proj(h).view(B, T, Hkv, hd).transpose(1, 2)
                kv[l] = (k, v)
            k, v = kv[cfg.kv_source[l]]
            if Hkv != H:
                k = k.repeat_interleave(H // Hkv, dim=1)
                v = v.repeat_interleave(H // Hkv, dim=1)
            o = causal_attention(q, k, v, cfg.sliding_window[l], 1.0 / math.sqrt(hd), self.chunk)
            x = x + layer.o_proj(o.transpose(1, 2).reshape(B, T, H * hd))
            h = layer.post_attention_layernorm(x)
            x = x + layer.down_proj(F.silu(layer.gate_proj(h)) * layer.up_proj(h))
        return F.linear(self.norm(x), self.embed_tokens.weight)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
