"""bf16 against fp32 in zero-shot segmentation: the share of pixels whose bf16 label equals the fp32 label, and the time
per image of each, measured side by side in one run (fp32 and bf16 alternate, so a change of load hits both).

(a) the shipped demo model on `--demo-images` test images of its own world (`demo_shapes`), with the settings it
    carries (`zero_shot.json`) at its own size (48², whole image); once more with its grouping blocks left in bf16
    too, to show what keeping them in fp32 buys.
(c) the shipped VOC-world model on `--voc-images` test scenes of its training artists and as many of OpenMoji's, with
    the settings it carries (whole scene at its training size), VOC's 20 class names.
(b) the released architecture (GroupViT-S/16, random weights, seed 0) on `--s16-images` images at the official
    settings (short side 448, sliding windows 448 / 224, threshold 0.95, top-5): a smooth random image of 448×672
    and synthetic shapes upscaled to 448×448. Random weights give class scores that nearly tie, so which segment wins
    the background threshold can flip on a small change: the agreement without background (the best class at every
    pixel) is printed too.

Run: python benchmarks/precision_agreement.py [--demo-images 200] [--s16-images 2] [--voc-images 200]"""
import argparse, os, time
from pathlib import Path
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
import groupvit_nb
from groupvit_nb.core import GroupViT, groupvit_s16, native_bf16
from groupvit_nb.demo import demo_shapes, PlainShapes
from groupvit_nb.segment import segment, _text_embeddings, zero_shot_settings

def load(): return '/'.join(f'{v:.2f}' for v in os.getloadavg())

def side_by_side(run, items, chunk, warm_up=True):
    "`run(chunk_of_items, precision)` for fp32 and bf16 in turn, chunk by chunk (who goes first alternates): labels, seconds."
    out = {p: ([], 0.) for p in ('fp32', 'bf16')}
    if warm_up: run(items[:1], 'fp32'); run(items[:1], 'bf16')
    for k, i in enumerate(range(0, len(items), chunk)):
        for p in (('fp32', 'bf16') if k % 2 == 0 else ('bf16', 'fp32')):
            t = time.perf_counter()
            res = run(items[i:i + chunk], p)
            labs, sec = out[p]
            out[p] = (labs + list(res), sec + time.perf_counter() - t)
    return out

def agreement(a, b) -> float:
    return sum(int((x == y).sum()) for x, y in zip(a, b)) / sum(x.numel() for x in a)

class bf16_grouping:
    "Inside the `with` block, the model's grouping blocks run under bf16 autocast too (the design keeps them in fp32)."
    def __init__(self, model): self.blocks = [l.downsample for l in model.img_encoder.layers if l.downsample is not None]
    def __enter__(self):
        for b in self.blocks:
            fwd = type(b).forward.__get__(b)
            def under_autocast(*a, _fwd=fwd, **k):
                with torch.autocast('cpu', dtype=torch.bfloat16): return _fwd(*a, **k)
            b.forward = under_autocast
    def __exit__(self, *exc):
        for b in self.blocks: del b.forward

def demo_part(n:int):
    model = GroupViT.from_pretrained(Path(groupvit_nb.__file__).parent / 'demo').eval()
    ds = demo_shapes(n, 'test', seed=0)
    kinds = list(ds.class_names)
    pics = [Image.fromarray(ds.sample(i)['image']) for i in range(n)]
    z = zero_shot_settings(model)
    bg, tp, mode = z['bg_thresh'], z['templates'], z['bg_mode']
    text = _text_embeddings(model, kinds, tp, None)
    run = lambda ims, p: segment(model, ims, kinds, mode='whole', short_side=0, text_emb=text, precision=p)
    before = load()
    res = side_by_side(run, pics, 20)
    after = load()
    (l32, t32), (l16, t16) = res['fp32'], res['bf16']
    with bf16_grouping(model): l16g = list(run(pics, 'bf16'))
    print(f"(a) demo model, {n} test images of its world, 48x48, whole image, bg_mode {mode} {bg}, templates {tp}")
    print(f"    label agreement bf16 vs fp32: {agreement(l16, l32):.6f}  "
          f"(grouping blocks in bf16 too: {agreement(l16g, l32):.6f})")
    print(f"    time per image, measured under load: fp32 {1000 * t32 / n:.1f} ms, bf16 {1000 * t16 / n:.1f} ms  "
          f"(load average 1/5/15 min: before {before}, after {after})")
    return agreement(l16, l32)

def voc_part(n:int):
    import json
    from groupvit_nb.eval import VOC_CLASSES
    from groupvit_nb.world import EmojiWorld
    folder = Path(groupvit_nb.__file__).parent / 'demo' / 'voc'
    model, w = GroupViT.from_pretrained(folder).eval(), json.loads((folder / 'world.json').read_text())
    pics = [Image.fromarray(sc['image']) for a in (w['train_artists'], ['openmoji'])
            for sc in EmojiWorld(n, w['size'], 'test', w['seed'], a)]
    z = zero_shot_settings(model)
    text = _text_embeddings(model, list(VOC_CLASSES), z['templates'], None)
    run = lambda ims, p: segment(model, ims, list(VOC_CLASSES), text_emb=text, precision=p)
    before = load()
    (l32, t32), (l16, t16) = side_by_side(run, pics, 20).values()
    print(f"(c) VOC-world model, {n} test scenes of its training artists and {n} of OpenMoji, {z['mode']} at short side "
          f"{z['short_side']}, bg_mode {z['bg_mode']} {z['bg_thresh']}")
    print(f"    label agreement bf16 vs fp32: {agreement(l16, l32):.6f}; time per image: fp32 {1000 * t32 / len(pics):.1f} ms, "
          f"bf16 {1000 * t16 / len(pics):.1f} ms (load average 1/5/15 min: before {before}, after {load()})")
    return agreement(l16, l32)

def s16_images(n:int) -> list:
    rs = np.random.RandomState(0)
    smooth = F.interpolate(torch.from_numpy(rs.rand(1, 3, 6, 9).astype(np.float32)), size=(448, 672), mode='bicubic',
                           align_corners=False).clamp(0, 1)[0].permute(1, 2, 0).numpy()
    pics = [Image.fromarray((smooth * 255).round().astype(np.uint8))]
    shapes = PlainShapes(max(n - 1, 1), 112, seed=0)
    pics += [Image.fromarray(shapes.sample(i)['image']).resize((448, 448), Image.BILINEAR) for i in range(n - 1)]
    return pics[:n]

def s16_part(n:int):
    torch.manual_seed(0)
    model = groupvit_s16().eval()
    names = ['circle', 'square', 'triangle', 'star', 'heart', 'cross']
    pics = s16_images(n)
    text = _text_embeddings(model, names, 'simple', None)
    def run(ims, p):
        labs, scores = segment(model, ims, names, text_emb=text, precision=p, return_scores=True)
        return [(l, s[1:].argmax(0)) for l, s in zip(labs, scores)]
    before = load()
    res = side_by_side(run, pics, 1, warm_up=False)                              # seconds per image: no warm-up needed
    after = load()
    (r32, t32), (r16, t16) = res['fp32'], res['bf16']
    lab = agreement([r[0] for r in r16], [r[0] for r in r32])
    each = ', '.join(f"{agreement([a[0]], [b[0]]):.6f}" for a, b in zip(r16, r32))
    print(f"(b) GroupViT-S/16, random weights (seed 0), {n} images at short side 448, slide 448/224, threshold 0.95, top-5")
    print(f"    label agreement bf16 vs fp32: {lab:.6f} (per image: {each}); "
          f"without background: {agreement([r[1] for r in r16], [r[1] for r in r32]):.6f}")
    print(f"    time per image, measured under load: fp32 {t32 / n:.2f} s, bf16 {t16 / n:.2f} s  "
          f"(load average 1/5/15 min: before {before}, after {after})")
    return lab

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--demo-images', type=int, default=200)
    p.add_argument('--s16-images', type=int, default=2)
    p.add_argument('--voc-images', type=int, default=200, help='test scenes per part of the VOC-world model (0: skip it)')
    args = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), CPU; bf16 native on this CPU: {native_bf16('cpu')}")
    worst = min(demo_part(args.demo_images), voc_part(args.voc_images) if args.voc_images else 1.,
                s16_part(args.s16_images) if args.s16_images else 1.)
    print(f"lowest label agreement: {worst:.6f} (what bf16 inference gives up; the commands default to fp32)")
