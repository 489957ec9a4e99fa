"""A quick needle-in-a-haystack check in Python, the same prompts as kvkit's `eval needle`:
held-out TinyStories filler cut at sentence boundaries, one fact at a depth, the question last.
kvkit's TypeScript eval is the reference; this one is for watching training."""
from __future__ import annotations

import random
from typing import Dict, List

import torch

from .bpe import ByteLevelBpe
from .data import COLORS, OBJECTS, Corpus, fact_text, question_text


def needle_prompt(tok: ByteLevelBpe, corpus: Corpus, length: int, depth: float, rng: random.Random) -> tuple[List[int], str]:
    key = (rng.choice(COLORS), rng.choice(OBJECTS))
    code = "".join(rng.choice("0123456789") for _ in range(5))
    fact = tok.encode(fact_text(*key, code))
    question = tok.encode(question_text(*key))
    room = length - 1 - len(fact) - len(question)
    b = corpus.boundaries
    start = int(b[rng.randrange(0, max(1, len(b) // 2))])
    ends = b[(b > start) & (b <= start + room)]
    end = int(ends[-1]) if len(ends) else start
    filler = corpus.ids[start:end].tolist()
    inner = [0] + [int(x) - start for x in b[(b > start) & (b < end)]] + [len(filler)]
    at = min(inner, key=lambda i: abs(i - depth * len(filler)))
    return [tok.bos_id] + filler[:at] + fact + filler[at:] + question, code


@torch.no_grad()
def needle_accuracy(model, tok: ByteLevelBpe, corpus: Corpus, lengths: List[int], depths: List[float], trials: int, seed: int = 0) -> Dict[str, float]:
    rng = random.Random(seed)
    model.eval()
    grid: Dict[str, float] = {}
    digit_ids = {tok.vocab[d] for d in "0123456789"}
    for length in lengths:
        for depth in depths:
            ok = 0
            for _ in range(trials):
                ids, code = needle_prompt(tok, corpus, length, depth, rng)
                out: List[int] = []
                x = ids[:]
                for _ in range(8):
                    nxt = int(model(torch.tensor([x]))[0, -1].argmax())
                    if out and nxt not in digit_ids:
                        break
                    out.append(nxt)
                    x.append(nxt)
                ok += tok.decode(out).strip() == code
            grid[f"{length}@{depth}"] = ok / trials
    model.train()
    return grid
