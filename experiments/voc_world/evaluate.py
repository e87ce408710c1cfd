"""Evaluate a checkpoint on the emoji world, as the lab log reports it: the background rule chosen on validation scenes of the
training artists, then mIoU on test scenes of the training artists (own), of each held-out artist, of 10 non-VOC nouns
(open10), and the zero-shot classification probe on single objects (top-1 over the 19 drawn classes).

    python experiments/voc_world/evaluate.py CHECKPOINT [SIZE]
"""
import sys, json, time, numpy as np, torch, torch.nn.functional as F
from PIL import Image

from groupvit_nb.world import *
from groupvit_nb.core import GroupViT
from groupvit_nb.segment import window_scores, _model_input
from groupvit_nb.classes import class_embeddings
from groupvit_nb.eval import VOC_CLASSES, SegmentationMetric
OPEN10 = ('tree', 'house', 'apple', 'umbrella', 'flower', 'fish', 'truck', 'elephant', 'rabbit', 'clock')

def scenes(world):
    for i in range(len(world)):
        sc = world.scene(i)
        yield sc

def miou(model, world, classes, settings, cache=None):
    "settings: list of (bg_mode, bg_thresh)"
    text = class_embeddings(model, list(classes), templates='simple', cache=False)
    ms = [SegmentationMetric(['background', *classes]) for _ in settings]
    with torch.no_grad():
        for i in range(len(world)):
            sc = world.scene(i)
            x = _model_input(Image.fromarray(sc['image']), world.size, 'cpu', torch.float32)
            y = torch.from_numpy(class_labels(sc, list(classes)).astype(np.int64))[None]
            for (mode, t), m in zip(settings, ms):
                s = window_scores(model, x, text, bg_thresh=t, bg_mode=mode)
                s = F.interpolate(s, size=y.shape[-2:], mode='bilinear', align_corners=False)
                m.update(s.argmax(1), y)
    return [dict(m.compute(), bg_mode=mo, bg_thresh=t) for (mo, t), m in zip(settings, ms)]

GRID = [('threshold', t) for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)] + [('logit', t) for t in (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)]

def probe(model, artists, n=400, size=64, seed=5):
    "zero-shot classification of single VOC objects: top-1 over the 19 drawn classes"
    classes = [c for c in VOC_OBJECTS]
    text = F.normalize(class_embeddings(model, classes, templates='simple', cache=False), dim=-1)
    res = {}
    for a in artists:
        w = EmojiWorld(n, size, 'test', seed + 100, artists=(a,), max_objects=1, other_p=0.)
        ok = 0
        with torch.no_grad():
            for i in range(n):
                sc = w.scene(i)
                x = _model_input(Image.fromarray(sc['image']).resize((size, size), Image.BICUBIC), size, 'cpu', torch.float32)
                e = F.normalize(model.encode_image(x), dim=-1)
                ok += classes[(e @ text.T).argmax().item()] == sc['objects'][0]['noun']
        res[a] = ok / n
    return res

def evaluate(path, size=64, n=150, train_artists=('noto', 'symbola'), unseen=('openmoji', 'emojione', 'emojify'), seed=0):
    torch.set_num_threads(int(__import__('os').environ.get('OMP_NUM_THREADS', '1')))
    model = GroupViT.from_pretrained(path).eval()
    t0 = time.time()
    val = EmojiWorld(n, size, 'valid', seed, artists=train_artists)
    v = miou(model, val, VOC_CLASSES, GRID)
    best = max(v, key=lambda r: r['miou'])
    st = [(best['bg_mode'], best['bg_thresh'])]
    out = dict(path=str(path), valid=best['miou'], bg_mode=best['bg_mode'], bg_thresh=best['bg_thresh'])
    own = miou(model, EmojiWorld(n, size, 'test', seed, artists=train_artists), VOC_CLASSES, st)[0]
    out['own'] = own['miou']; out['own_iou'] = {k: round(x, 3) for k, x in own['iou'].items()}
    for a in unseen:
        r = miou(model, EmojiWorld(n, size, 'test', seed, artists=(a,)), VOC_CLASSES, st)[0]
        out[a] = r['miou']; out[a + '_iou'] = {k: round(x, 3) for k, x in r['iou'].items()}
    ov = miou(model, EmojiWorld(n, size, 'test', seed + 7, artists=train_artists, other_p=0.6), OPEN10, st)[0]
    out['open10'] = ov['miou']; out['open10_iou'] = {k: round(x, 3) for k, x in ov['iou'].items()}
    out['probe'] = probe(model, train_artists + tuple(unseen), n=200, size=size)
    out['seconds'] = round(time.time() - t0)
    return out

if __name__ == '__main__':
    r = evaluate(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 64)
    print(json.dumps(r))
