"""Train one variant: python3 -m kvkit_train.train --variant gqa --out runs/gqa"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F

from .bpe import ByteLevelBpe, train_bpe
from .data import Corpus, SampleMaker, split_heldout
from .model import Llama, ModelConfig
from .uptrain import convert
from .variants import VARIANTS, variant_config

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data", "tinystories-valid-prefix", "tinystories_val.txt")
VOCAB_SIZE = 1024
CONTEXT = 2048
# (fraction of the steps, sequence length): short sequences first, so retrieval is learnt cheaply, then
# longer ones up to the full context.
SCHEDULE = "0.25:128,0.25:256,0.2:512,0.15:1024,0.15:2048"
ANSWER_WEIGHT = 4.0


def tokenizer_for(text_train: str, path: str) -> ByteLevelBpe:
    if os.path.exists(path):
        return ByteLevelBpe.load(path)
    vocab, merges = train_bpe(text_train, VOCAB_SIZE)
    tok = ByteLevelBpe(vocab, merges)
    tok.save(path)
    return tok


def parse_schedule(text: str) -> list:
    out = [(float(f), int(n)) for f, n in (part.split(":") for part in text.split(","))]
    assert abs(sum(f for f, _ in out) - 1) < 1e-6, "schedule fractions must sum to 1"
    return out


def length_at(step: int, steps: int, schedule: list) -> int:
    acc = 0.0
    for frac, length in schedule:
        acc += frac
        if step < acc * steps:
            return length
    return schedule[-1][1]


def lr_at(step: int, steps: int, peak: float, warmup: int, shape: str = "cosine") -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    if shape == "constant":
        return peak
    t = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def batch(maker: SampleMaker, length: int, n: int, device: str, answer_weight: float, copy_prob: float):
    samples = [maker.make_copy(length + 1) if maker.rng.random() < copy_prob else maker.make(length + 1) for _ in range(n)]
    x = torch.tensor([s.tokens for s in samples], dtype=torch.long, device=device)
    kinds = torch.tensor([s.kinds for s in samples], dtype=torch.long, device=device)
    w = torch.where(kinds == 2, answer_weight, (kinds == 1).float())
    return x[:, :-1], x[:, 1:], w, kinds


def save(model, cfg, args, path: str) -> None:
    torch.save({"config": cfg.to_dict(), "state": model.state_dict(), "args": vars(args)}, path)


@torch.no_grad()
def probe_accuracy(model, tok, samples, device: str) -> float:
    """Share of answer digits predicted right on held-out samples (teacher forcing)."""
    model.eval()
    digits = {tok.vocab[d] for d in "0123456789"}
    x = torch.tensor([s.tokens for s in samples], device=device)
    kinds = torch.tensor([s.kinds for s in samples], device=device)
    pred = model(x[:, :-1]).argmax(-1)
    y = x[:, 1:]
    sel = (kinds == 2) & torch.isin(y, torch.tensor(sorted(digits), device=device))
    model.train()
    return (pred[sel] == y[sel]).float().mean().item()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", required=True, choices=sorted(VARIANTS))
    ap.add_argument("--out", required=True, help="folder for model.safetensors, config.json, tokenizer.json")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch-tokens", type=int, default=4096)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--answer-weight", type=float, default=ANSWER_WEIGHT)
    ap.add_argument("--facts-per-384", type=float, default=1.0, help="facts per sample grow with the length: 1..1 + this * length / 384")
    ap.add_argument("--repeat-prob", type=float, default=0.0, help="share of samples that repeat some sentences of their filler")
    ap.add_argument("--schedule", default=SCHEDULE, help="fraction:length,... of the steps at each sequence length")
    ap.add_argument("--copy-prob", type=float, default=0.0, help="share of copy samples (BOS S S) during the first --copy-steps fraction of training")
    ap.add_argument("--copy-steps", type=float, default=0.3)
    ap.add_argument("--lr-shape", default="cosine", choices=["cosine", "constant"])
    ap.add_argument("--code-digits", default="3,6", help="min,max digits of a fact's code")
    ap.add_argument("--save-every", type=int, default=0, help="also save checkpoint.pt and probe retrieval every N steps")
    ap.add_argument("--init-from", help="a checkpoint to start from (uptraining: K/V heads mean-pooled, unused K/V dropped)")
    ap.add_argument("--tokenizer", help="an existing tokenizer.json (default: train one into --out)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    text = open(args.data, encoding="utf-8").read()
    train_text, _ = split_heldout(text)
    tok = tokenizer_for(train_text, args.tokenizer or os.path.join(args.out, "tokenizer.json"))
    corpus = Corpus.build(tok, train_text)
    code_digits = tuple(int(x) for x in args.code_digits.split(","))
    maker = SampleMaker(tok, corpus, random.Random(args.seed), args.facts_per_384, args.repeat_prob, code_digits)
    cfg = variant_config(args.variant, VOCAB_SIZE, CONTEXT)
    model = Llama(cfg)
    if args.init_from:
        base = torch.load(args.init_from, map_location="cpu")
        model.load_state_dict(convert(base["state"], ModelConfig(**base["config"]), cfg))
    model = model.to(args.device)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    schedule = parse_schedule(args.schedule)
    probe_maker = SampleMaker(tok, Corpus.build(tok, split_heldout(text)[1]), random.Random(7), args.facts_per_384, 0.0, code_digits)
    probe = [probe_maker.make(257) for _ in range(32)]
    log = []
    t0 = time.time()
    for step in range(args.steps):
        length = length_at(step, args.steps, schedule)
        x, y, w, kinds = batch(maker, length, max(1, args.batch_tokens // length), args.device, args.answer_weight, args.copy_prob if step < args.copy_steps * args.steps else 0.0)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup, args.lr_shape)
        logits = model(x)
        nll = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1), reduction="none").view_as(w)
        loss = (nll * w).sum() / w.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            lang = nll[kinds == 1].mean().item()
            ans = kinds == 2
            acc = (logits.argmax(-1)[ans] == y[ans]).float().mean().item()
        rec = {"step": step, "length": length, "loss": round(loss.item(), 4), "lang_nll": round(lang, 4), "answer_acc": round(acc, 4), "s": round(time.time() - t0, 1)}
        log.append(rec)
        if args.save_every and (step + 1) % args.save_every == 0:
            rec["probe_code_acc"] = round(probe_accuracy(model, tok, probe, args.device), 4)
            save(model, cfg, args, os.path.join(args.out, "checkpoint.pt"))
        if step % 10 == 0 or step == args.steps - 1 or "probe_code_acc" in rec:
            print(json.dumps(rec), flush=True)
    save(model, cfg, args, os.path.join(args.out, "checkpoint.pt"))
    with open(os.path.join(args.out, "train_log.json"), "w") as f:
        json.dump({"args": vars(args), "parameters": model.parameter_count(), "seconds": round(time.time() - t0, 1), "log": log}, f)


if __name__ == "__main__":
    main()
