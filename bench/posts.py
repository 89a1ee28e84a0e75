"""Writes a Jekyll site of N generated posts for the benchmarks.

Usage: python3 bench/posts.py DIR N [WORDS]

Each post has front matter (title, tags, author, description), about WORDS words (default 900)
of paragraphs with emphasis and links, two headings, a list, a quote and a code block, so that
its page weighs what a real article's does. The words come from a small vocabulary (each in
most posts), and each post also has one rare word, `rareK` with K = i mod 10,000 (in one post
of 10,000, for the search benchmark). The same N always gives the same tree, and post i is
served at /post-i/.
"""

import json
import os
import random
import sys

root, n = sys.argv[1], int(sys.argv[2])
words_per_post = int(sys.argv[3]) if len(sys.argv) > 3 else 900
os.makedirs(f"{root}/_posts", exist_ok=True)
with open(f"{root}/_config.yml", "w") as f:
    f.write("title: Bench\ndescription: Generated posts for benchmarks\n")

random.seed(1)
vocabulary = (
    "quire replica cache postgres notify render markdown feed tag author page image reader "
    "writer theme template query index latency throughput memory network request response "
    "header body stream socket thread worker queue schedule publish draft revision archive "
    "the a of and to in is that it for on with as was at by an be this from or have"
).split()
tags = "rust databases caching web writing performance design operations security tools".split()


def sentence(k):
    words = random.choices(vocabulary, k=k)
    if random.random() < 0.3:
        i = random.randrange(k)
        words[i] = f"**{words[i]}**"
    if random.random() < 0.2:
        i = random.randrange(k)
        words[i] = f"[{words[i]}](https://example.com/{words[i]})"
    return " ".join(words).capitalize() + "."


def paragraph(n_words):
    out, left = [], n_words
    while left > 0:
        k = min(left, random.randint(8, 20))
        out.append(sentence(k))
        left -= k
    return " ".join(out)


for i in range(n):
    day = f"20{10 + i % 15:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    chosen = ", ".join(random.sample(tags, 3))
    per = words_per_post // 8
    parts = [paragraph(per), paragraph(per), f"## {sentence(4)[:-1]}", paragraph(per),
             "- " + sentence(6) + "\n- " + sentence(6) + "\n- " + sentence(6),
             paragraph(per) + f" Filed under rare{i % 10000}.", "> " + sentence(14),
             f"## {sentence(3)[:-1]}", paragraph(per),
             f"```rust\nfn main() {{\n    println!(\"post {i}\");\n}}\n```", paragraph(per),
             paragraph(per)]
    with open(f"{root}/_posts/{day}-post-{i}.md", "w") as f:
        f.write(f"---\ntitle: Post number {i}\ntags: [{chosen}]\nauthor: bench@example.com\n"
                f"description: {json.dumps(sentence(12))}\n---\n")
        f.write("\n\n".join(parts) + "\n")
