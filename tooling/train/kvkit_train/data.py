"""Training data: TinyStories language (first 90 %) with synthetic key-value facts at random depths.

A fact reads " The secret code of the blue box is 73914." and is inserted at a sentence boundary of
the filler; questions at the end read "\\nWhat is the secret code of the blue box? The secret code of
the blue box is" and are answered " 73914.". Several facts with distinct keys and one question per
fact in shuffled order make multi-key associative recall; kvkit's `eval needle` asks one question
about one fact with the same wording (apps/bench/src/needle/).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

from .bpe import ByteLevelBpe

COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "brown", "black", "white", "gray", "golden"]
OBJECTS = ["box", "door", "bag", "cup", "book", "hat", "car", "ball", "lamp", "bed", "shoe", "tree"]


def fact_text(color: str, obj: str, code: str) -> str:
    return f" The secret code of the {color} {obj} is {code}."


def question_text(color: str, obj: str) -> str:
    return f"\nWhat is the secret code of the {color} {obj}? The secret code of the {color} {obj} is"


def answer_text(code: str) -> str:
    return f" {code}."


def split_heldout(text: str, fraction: float = 0.9) -> Tuple[str, str]:
    """(train, held-out): cut at the first paragraph break at or after `fraction` of the characters."""
    cut = text.find("\n\n", int(len(text) * fraction))
    cut = len(text) if cut < 0 else cut + 2
    return text[:cut], text[cut:]


@dataclass
class Corpus:
    ids: np.ndarray
    """Token indices i where a sentence ends before ids[i] (a fact can be inserted there)."""
    boundaries: np.ndarray

    @staticmethod
    def build(tok: ByteLevelBpe, text: str) -> "Corpus":
        ids = tok.encode(text)
        pieces = [tok.id_to_token[i] for i in ids]
        ends = (".", "!", "?", '."', '!"', '?"')
        # ByteLevel maps ' ' to 'Ġ' and '\n' to 'Ċ': a boundary is a sentence end followed by whitespace.
        bounds = [i for i in range(1, len(ids)) if pieces[i - 1].endswith(ends) and pieces[i][0] in "ĠĊ"]
        return Corpus(np.asarray(ids, dtype=np.int64), np.asarray(bounds, dtype=np.int64))


@dataclass
class Sample:
    tokens: List[int]
    """Per target position (tokens[1:]): 0 ignored, 1 language, 2 answer."""
    kinds: List[int]


class SampleMaker:
    def __init__(self, tok: ByteLevelBpe, corpus: Corpus, rng: random.Random, facts_per_384: float = 1.0, repeat_prob: float = 0.0, code_digits: Tuple[int, int] = (3, 6)) -> None:
        self.tok, self.corpus, self.rng = tok, corpus, rng
        self.code_digits = code_digits
        self.facts_per_384 = facts_per_384
        self.repeat_prob = repeat_prob

    def _repeat(self, filler: List[int], inner: List[int]) -> Tuple[List[int], List[int]]:
        """Copy one to three sentences of the filler to a later boundary (an induction target: the copy
        is predictable only by finding the first occurrence), keeping the room by dropping the tail."""
        rng = self.rng
        if len(inner) < 6:
            return filler, inner
        i = rng.randrange(0, len(inner) - 4)
        j = min(len(inner) - 2, i + rng.randint(1, 3))
        seg = filler[inner[i] : inner[j]]
        at = inner[rng.randrange(j + 1, len(inner))]
        out = filler[:at] + seg + filler[at:]
        keep = len(filler)
        bounds = [x for x in inner if x <= at] + [at + len(seg)] + [x + len(seg) for x in inner if x > at]
        bounds = [x for x in bounds if x < keep]
        return out[:max(bounds)] if bounds else out[:keep], [x for x in bounds if x < max(bounds)] if bounds else []

    def make_copy(self, length: int) -> Sample:
        """BOS + S + S for a filler span S: the second half is predictable only by copying the first,
        the cheapest way to grow the induction heads that retrieval then uses."""
        rng, c = self.rng, self.corpus
        half = (length - 1) // 2
        b = c.boundaries
        start = int(b[rng.randrange(0, len(b) - 1)])
        if start + half >= len(c.ids):
            start = int(b[0])
        seg = c.ids[start : start + half].tolist()
        tokens = [self.tok.bos_id] + seg + seg
        pad = length - len(tokens)
        return Sample(tokens + [self.tok.eos_id] * pad, [1] * (len(tokens) - 1) + [0] * pad)

    def make(self, length: int) -> Sample:
        """One sample of exactly `length` tokens (BOS first); the tail is padding with kind 0."""
        rng, tok, c = self.rng, self.tok, self.corpus
        n_facts = rng.randint(1, min(4, 1 + int(self.facts_per_384 * length / 384)))
        keys = rng.sample([(a, b) for a in COLORS for b in OBJECTS], n_facts)
        codes = ["".join(rng.choice("0123456789") for _ in range(rng.randint(*self.code_digits))) for _ in keys]
        facts = [tok.encode(fact_text(a, b, code)) for (a, b), code in zip(keys, codes)]
        fact_digits = [len(tok.encode(code)) + 1 for code in codes]  # the code and the "." are unpredictable
        questions = [(tok.encode(question_text(*k)), tok.encode(answer_text(code))) for k, code in zip(keys, codes)]
        # Fewer facts when they would leave less than a quarter of the sample to the filler.
        while len(facts) > 1 and 1 + sum(map(len, facts)) + sum(len(q) + len(a) for q, a in questions) > 0.75 * length:
            facts, fact_digits, questions = facts[:-1], fact_digits[:-1], questions[:-1]
        rng.shuffle(questions)
        fixed = 1 + sum(map(len, facts)) + sum(len(q) + len(a) for q, a in questions)
        room = length - fixed
        # Filler: a span of the corpus between two sentence boundaries that fits the room.
        b = c.boundaries
        start = int(b[rng.randrange(0, len(b) - 1)])
        if start + room >= len(c.ids):
            start = int(b[0])
        end_idx = np.searchsorted(b, start + room, side="right") - 1
        end = int(b[end_idx]) if end_idx >= 0 and b[end_idx] > start else start
        filler = c.ids[start:end].tolist()
        inner = [int(x) - start for x in b[(b > start) & (b < end)]]
        if self.repeat_prob and rng.random() < self.repeat_prob:
            filler, inner = self._repeat(filler, inner)
        slots = sorted(rng.choice([0] + inner + [len(filler)]) for _ in facts)
        tokens, kinds = [tok.bos_id], []
        prev = 0
        for slot, f, nd in zip(slots, facts, fact_digits):
            tokens += filler[prev:slot]
            tokens += f
            prev = slot
        tokens += filler[prev:]
        kinds = [1] * (len(tokens) - 1)
        # mask the unpredictable code tokens of each fact (targets are tokens[1:]: index t-1 predicts t)
        pos = 1
        prev = 0
        for slot, f, nd in zip(slots, facts, fact_digits):
            pos += slot - prev
            first_code = pos + len(f) - nd
            for t in range(first_code, pos + len(f)):
                kinds[t - 1] = 0
            pos += len(f)
            prev = slot
        for q, a in questions:
            tokens += q
            kinds += [1] * len(q)
            tokens += a
            kinds += [2] * len(a)
        pad = length - len(tokens)
        assert pad >= 0, (length, len(tokens))
        tokens += [tok.eos_id] * pad
        kinds += [0] * pad
        return Sample(tokens, kinds[: length - 1] if len(kinds) >= length else kinds + [0] * (length - 1 - len(kinds)))
