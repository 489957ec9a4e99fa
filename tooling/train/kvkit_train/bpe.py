"""Byte-level BPE: training on text, encoding, and the HF `tokenizer.json` that @kvkit/loaders reads.

Pre-tokenisation is GPT-2's (HF `ByteLevel` with `use_regex: true`, `add_prefix_space: false`); the
model is HF `BPE` over the 256 byte symbols. Digits are never merged, so every code is one token
per digit (what retrieval needs). Ids: 0 <unk>, 1 <s>, 2 </s>, then the bytes, then the merges.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Dict, Iterable, List, Tuple

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SPECIALS = ["<unk>", "<s>", "</s>"]
_SPLIT = regex.compile(GPT2_PATTERN)


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible byte -> printable character map (the ByteLevel alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_CHAR = bytes_to_unicode()
CHAR_BYTE = {c: b for b, c in BYTE_CHAR.items()}


def pretokenize(text: str) -> List[str]:
    """Pre-tokens as ByteLevel symbols strings."""
    return ["".join(BYTE_CHAR[b] for b in piece.encode("utf-8")) for piece in _SPLIT.findall(text)]


def _has_digit(sym: str) -> bool:
    return any(chr(CHAR_BYTE[c]).isdigit() if CHAR_BYTE[c] < 128 else False for c in sym)


def train_bpe(text: str, vocab_size: int) -> Tuple[Dict[str, int], List[Tuple[str, str]]]:
    """Greedy BPE merges (most frequent pair, ties by the lexicographically smallest pair)."""
    words = Counter(pretokenize(text))
    seqs = [(list(w), c) for w, c in words.items()]
    vocab: Dict[str, int] = {s: i for i, s in enumerate(SPECIALS)}
    for b in range(256):
        vocab[BYTE_CHAR[b]] = len(vocab)
    merges: List[Tuple[str, str]] = []
    pairs: Counter = Counter()
    where: Dict[Tuple[str, str], set] = {}
    for wi, (syms, c) in enumerate(seqs):
        for a, b in zip(syms, syms[1:]):
            pairs[(a, b)] += c
            where.setdefault((a, b), set()).add(wi)
    while len(vocab) < vocab_size:
        best = None
        for p, c in pairs.items():
            if c <= 0 or _has_digit(p[0]) or _has_digit(p[1]):
                continue
            if best is None or c > best[1] or (c == best[1] and p < best[0]):
                best = (p, c)
        if best is None:
            break
        (a, b), _ = best
        merged = a + b
        merges.append((a, b))
        vocab[merged] = len(vocab)
        for wi in list(where.get((a, b), ())):
            syms, c = seqs[wi]
            for x, y in zip(syms, syms[1:]):
                pairs[(x, y)] -= c
            out: List[str] = []
            i = 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            seqs[wi] = (out, c)
            for x, y in zip(out, out[1:]):
                pairs[(x, y)] += c
                where.setdefault((x, y), set()).add(wi)
        pairs.pop((a, b), None)
    return vocab, merges


class ByteLevelBpe:
    """Encoder with the same result as HF tokenizers' BPE model (lowest merge rank first)."""

    def __init__(self, vocab: Dict[str, int], merges: List[Tuple[str, str]]) -> None:
        self.vocab = vocab
        self.merges = merges
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.id_to_token = {i: t for t, i in vocab.items()}
        self._cache: Dict[str, List[int]] = {}
        self.bos_id, self.eos_id = vocab["<s>"], vocab["</s>"]

    def _word(self, word: str) -> List[int]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        syms = list(word)
        while len(syms) > 1:
            ranked = [(self.ranks.get((x, y), 1 << 30), i) for i, (x, y) in enumerate(zip(syms, syms[1:]))]
            r, i = min(ranked)
            if r == 1 << 30:
                break
            syms[i : i + 2] = [syms[i] + syms[i + 1]]
        ids = [self.vocab[s] for s in syms]
        self._cache[word] = ids
        return ids

    def encode(self, text: str, bos: bool = False) -> List[int]:
        ids = [self.bos_id] if bos else []
        for w in pretokenize(text):
            ids.extend(self._word(w))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        data = bytearray()
        for i in ids:
            tok = self.id_to_token[i]
            if tok in SPECIALS:
                continue
            data.extend(CHAR_BYTE[c] for c in tok)
        return data.decode("utf-8", errors="replace")

    def tokenizer_json(self) -> dict:
        """HF tokenizers' serialisation (tokenizer.json)."""
        added = [
            {"id": self.vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for s in SPECIALS
        ]
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": byte_level,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [self.bos_id], "tokens": ["<s>"]}},
            },
            "decoder": byte_level,
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": self.vocab,
                "merges": [[a, b] for a, b in self.merges],
            },
        }

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.tokenizer_json(), f, ensure_ascii=False, indent=None, separators=(",", ":"))

    @staticmethod
    def load(path: str) -> "ByteLevelBpe":
        with open(path, encoding="utf-8") as f:
            j = json.load(f)
        return ByteLevelBpe(j["model"]["vocab"], [tuple(m) for m in j["model"]["merges"]])
