"""Speed of the text path on one CPU core: noun extraction, prompt building, multi-label tokenization, `tokenize`.

Usage: python benchmarks/text_speed.py [--captions 5000] [--repeats 3]

The captions are synthetic, COCO / Conceptual-Captions style, drawn from word lists with a fixed seed (a few
hundred distinct words and made-up place names, so the per-word caches see both hits and first sightings). "cold" is the
first pass of a fresh extractor / tokenizer over the captions (every word new to the caches); "warm" the best of
`--repeats` later passes. The process is pinned to one core and torch to one thread.
"""
import argparse, os, random, statistics, sys, time

SUBJECTS = ("man woman boy girl child person dog cat horse cow sheep bird elephant giraffe zebra bear player "
            "skier surfer chef family couple group tourist student baby teenager soldier farmer cyclist").split()
OBJECTS = ("frisbee ball kite umbrella surfboard skateboard bicycle bike motorcycle car bus train truck boat plane "
           "pizza sandwich cake donut banana apple orange broccoli carrot laptop phone keyboard book clock vase "
           "bottle cup glass bowl plate knife fork spoon chair couch bed table bench toilet sink oven refrigerator "
           "television remote teddy bear hat helmet backpack suitcase tie scissors toothbrush guitar camera").split()
PLACES = ("park beach street kitchen bathroom field forest city road river lake mountain snow ocean room table "
          "desk airport station market restaurant garden yard sidewalk hill harbor stadium office library").split()
ADJ = "red blue green white black large small young old wooden tall busy snowy grassy sunny empty colorful".split()
EXTRA = [f"{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in ("ville", "ton", "berg", "field", "wood", "ia")]

def plural(w):
    if w.endswith(('s', 'x', 'ch', 'sh')): return w + 'es'
    if w.endswith('y') and w[-2] not in 'aeiou': return w[:-1] + 'ies'
    return {'child': 'children', 'person': 'people', 'man': 'men', 'woman': 'women', 'knife': 'knives'}.get(w, w + 's')

def make_captions(n, seed=0):
    rng = random.Random(seed)
    v = [x for x in ("riding", "holding", "playing with", "sitting on", "standing next to", "walking down",
                     "eating", "carrying", "throwing", "catching", "looking at", "flying", "parked near")]
    out = []
    for i in range(n):
        s, o, p, a = rng.choice(SUBJECTS), rng.choice(OBJECTS), rng.choice(PLACES), rng.choice(ADJ)
        kind = i % 4
        if kind == 0: c = f"A {a} {s} {rng.choice(v)} a {o} in the {p}."
        elif kind == 1: c = f"Two {plural(s)} {rng.choice(v)} {plural(o)} near a {a} {p}."
        elif kind == 2: c = f"{s} {rng.choice(('attends', 'visits', 'poses at'))} the {p} of {rng.choice(EXTRA).title()}"
        else: c = f"a {o} and a {rng.choice(OBJECTS)} on a {a} {rng.choice(('table', 'desk', 'counter', 'floor'))} with {plural(rng.choice(OBJECTS))}"
        out.append(c)
    return out

def rate(fn, caps, repeats):
    "captions/s: (first pass, best of `repeats` later passes)."
    times = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        for c in caps: fn(c)
        times.append(time.perf_counter() - t)
    return len(caps) / times[0], len(caps) / min(times[1:])

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--captions', type=int, default=5000)
    ap.add_argument('--repeats', type=int, default=3)
    args = ap.parse_args()
    if hasattr(os, 'sched_setaffinity'): os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import torch
    torch.set_num_threads(1)
    t = time.perf_counter()
    from groupvit_nb import text
    t_import = time.perf_counter() - t
    t = time.perf_counter(); text.wordnet_lexicon(); t_lex = time.perf_counter() - t
    t = time.perf_counter(); text.clip_bpe(); t_bpe = time.perf_counter() - t
    import open_clip

    caps = make_captions(args.captions)
    rows = []
    ex = text.NounExtractor()
    rows.append(("extract_nouns", *rate(ex, caps, args.repeats)))
    mlt = text.MultiLabelTokenizer(nouns=text.NounExtractor())
    rows.append(("extract_nouns + prompt building (MultiLabelTokenizer.prompts)", *rate(mlt.prompts, caps, args.repeats)))
    text.clip_bpe().word_ids.cache_clear(); text._prompt_ids.cache_clear()
    mlt = text.MultiLabelTokenizer(nouns=text.NounExtractor())
    rows.append(("MultiLabelTokenizer(caption) → [4, 77] ids", *rate(mlt, caps, args.repeats)))
    text.clip_bpe().word_ids.cache_clear()
    rows.append(("tokenize(caption) → [1, 77]", *rate(text.tokenize, caps, args.repeats)))
    rows.append(("open_clip.tokenize(caption), for reference", *rate(open_clip.tokenize, caps, args.repeats)))

    print(f"one core (pid pinned to CPU {sorted(os.sched_getaffinity(0))[0] if hasattr(os, 'sched_getaffinity') else '?'}), "
          f"torch threads 1, {len(caps):,} captions, python {sys.version.split()[0]}")
    print(f"import groupvit_nb.text {t_import*1e3:.0f} ms · WordNet lexicon load {t_lex*1e3:.0f} ms · BPE load {t_bpe*1e3:.0f} ms\n")
    print("| step | cold (captions/s) | warm (captions/s) |\n|---|---:|---:|")
    for name, cold, warm in rows: print(f"| {name} | {cold:,.0f} | {warm:,.0f} |")
    target = rows[1][2]
    print(f"\nextract_nouns + prompt building, warm: {target:,.0f} captions/s (target ≥ 2,000): {'OK' if target >= 2000 else 'BELOW TARGET'}")

if __name__ == '__main__': main()
