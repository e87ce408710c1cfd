"""Which inference geometry suits the shipped demo model (trained on 48×48 shapes, 4-pixel patches): zero-shot mIoU of
`segment` on its validation images for several (short side, mode, window, stride), on the 48×48 images themselves and
on 72×48 crops across two of them (a wide picture, as a photo is), then the test mIoU at the chosen geometry beside the
figure groupvit_nb/demo/eval.json records. The background rule and templates are the model's own.

    python benchmarks/demo_geometry.py [--n 100] [--test 200]
"""
import argparse, time
import numpy as np
import torch
from PIL import Image
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_dir, demo_shapes
from groupvit_nb.segment import segment
from groupvit_nb.eval import SegmentationMetric

CANDIDATES = [dict(short_side=448, mode='slide', window=448, stride=224),    # the official protocol (the released model's)
              dict(short_side=96, mode='whole'), dict(short_side=64, mode='whole'), dict(short_side=32, mode='whole'),
              dict(short_side=96, mode='slide', window=48, stride=24),
              dict(short_side=48, mode='whole'), dict(short_side=48, mode='slide', window=48, stride=24),
              dict(short_side=48, mode='slide', window=48, stride=16)]


def miou(model, pairs, names, geometry) -> tuple[float, float]:
    "mIoU over (image, mask) pairs and milliseconds per image."
    metric, t = SegmentationMetric(['background', *names]), time.perf_counter()
    for im, mask in pairs:
        metric.update(segment(model, Image.fromarray(im), names, **geometry)[0], torch.from_numpy(mask))
    return metric.compute()['miou'], 1000 * (time.perf_counter() - t) / len(pairs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=100, help='validation images'); ap.add_argument('--test', type=int, default=200)
    a = ap.parse_args()
    import json, os
    model = GroupViT.from_pretrained(demo_dir()).eval()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.2f}; model settings {model.zero_shot}")
    ds = demo_shapes(a.n, 'valid', 0); names = list(ds.class_names)
    square = [(s['image'], s['mask']) for s in map(ds.sample, range(len(ds)))]
    wide = [(np.concatenate([x, y], 1)[:, 13:85], np.concatenate([mx, my], 1)[:, 13:85])        # seams off the windows' edges
            for (x, mx), (y, my) in zip(square[0::2], square[1::2])]
    print(f"{'geometry':58} {'48x48 mIoU':>10} {'72x48 mIoU':>10} {'ms/img':>7}")
    for g in CANDIDATES:
        (m1, ms), (m2, _) = miou(model, square, names, g), miou(model, wide, names, g)
        print(f"{str(g):58} {m1:10.4f} {m2:10.4f} {ms:7.0f}")
    test = demo_shapes(a.test, 'test', 0)
    m, _ = miou(model, [(s['image'], s['mask']) for s in map(test.sample, range(len(test)))], names, {})
    shipped = json.loads((demo_dir() / 'eval.json').read_text())['miou']
    print(f"test mIoU at the model's own settings ({a.test} images): {m:.4f}; eval.json records {shipped:.4f}")


if __name__ == '__main__': main()
