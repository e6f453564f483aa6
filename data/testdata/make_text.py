"""Writes text_expect.json: the character vocabulary and ids of
shakespeare_head.txt (the first 3,000 bytes of tinyshakespeare.txt),
computed with plain Python, for TestReadText.

    /usr/bin/python3 make_text.py
"""
import json

s = open("shakespeare_head.txt", encoding="utf-8").read()
vocab = sorted(set(s))  # by code point
cut = int(0.5 * len(s))
train_vocab = sorted(set(s[:cut]))
missing = sorted(set(s[cut:]) - set(train_vocab))
first_missing = min(s.index(c, cut) for c in missing) if missing else -1
line = s[:first_missing].count("\n") + 1
col = first_missing - (s.rfind("\n", 0, first_missing) + 1) + 1
json.dump(
    {
        "vocab": vocab,
        "ids": [vocab.index(c) for c in s],
        "half_vocab": train_vocab,
        "first_missing": {"char": s[first_missing], "line": line, "col": col},
    },
    open("text_expect.json", "w"),
)
