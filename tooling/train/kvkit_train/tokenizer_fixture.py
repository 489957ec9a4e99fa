"""Token ids of sample texts from the Python encoder, for kvkit's check that @huggingface/tokenizers
reads our tokenizer.json identically:
python3 -m kvkit_train.tokenizer_fixture --tokenizer ../../packages/models/gqa/tokenizer.json --out ../../packages/loaders/test/fixtures/bpe-python.json"""
from __future__ import annotations

import argparse
import hashlib
import json
import os

from .bpe import ByteLevelBpe
from .data import split_heldout
from .train import DATA

SAMPLES = [
    "Once upon a time, there was a little girl named Lily.",
    " The secret code of the blue box is 73914.",
    "\nWhat is the secret code of the blue box? The secret code of the blue box is",
    "She said, \"I can't!\"  Then   she ran.\n\n\nThe end.",
    "Zoë ate crème brûlée — 3.14 apples, 2026 pears… 😀 ok",
    "it\u2019s a \u201cquote\u201d and 1234567890 digits, tabs\tand CRLF\r\nline",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=DATA)
    args = ap.parse_args()
    tok = ByteLevelBpe.load(args.tokenizer)
    _, heldout = split_heldout(open(args.data, encoding="utf-8").read())
    ids = tok.encode(heldout)
    out = {
        "samples": [{"text": t, "ids": tok.encode(t)} for t in SAMPLES],
        # The whole held-out text: its length and the sha256 of its ids as comma-separated decimals.
        "heldout": {"tokens": len(ids), "sha256": hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()},
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        samples = ",\n  ".join(json.dumps(s, ensure_ascii=False) for s in out["samples"])
        f.write(f'{{\n "samples": [\n  {samples}\n ],\n "heldout": {json.dumps(out["heldout"])}\n}}\n')


if __name__ == "__main__":
    main()
