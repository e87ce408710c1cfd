"""Zero-shot mIoU of the shipped demo model with each background mode, with and without PAMR refinement.

For each `bg_mode` the threshold is chosen on 100 validation images of the demo world (split valid, seed 0), then
200 test images (split test, seed 0) and 100 images of the second renderer (`PlainShapes`, seed 0) are segmented
with `segment` at the model's own size (48², whole image) with `refine=None` and `refine='pamr'`. Run: `OMP_NUM_THREADS=1 python benchmarks/refine_background.py`."""
import json, os, platform, time
import torch
from PIL import Image
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_dir, demo_shapes, PlainShapes
from groupvit_nb.eval import SegmentationMetric
from groupvit_nb.segment import segment

GRIDS = {'threshold': (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
         'probability': (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
         'logit': (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)}


def miou(model, ds, bg_mode, bg_thresh, refine=None):
    names = list(ds.class_names)
    metric = SegmentationMetric(['background', *names])
    for i in range(len(ds)):
        s = ds.sample(i)
        lab = segment(model, Image.fromarray(s['image']), names, mode='whole', short_side=0, bg_mode=bg_mode,
                      bg_thresh=bg_thresh, refine=refine)
        metric.update(lab, torch.from_numpy(s['mask'])[None])
    return metric.compute()['miou']


def main():
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    model = GroupViT.from_pretrained(demo_dir()).eval()
    valid, test = demo_shapes(100, 'valid'), demo_shapes(200, 'test')
    second = PlainShapes(100, test.h, test.class_names, 0)
    rows, t0 = [], time.time()
    for mode, grid in GRIDS.items():
        scores = {t: miou(model, valid, mode, t) for t in grid}
        best = max(scores, key=scores.get)
        row = dict(bg_mode=mode, bg_thresh=best, valid_miou=round(scores[best], 4),
                   test_miou=round(miou(model, test, mode, best), 4),
                   test_miou_pamr=round(miou(model, test, mode, best, 'pamr'), 4),
                   second_miou=round(miou(model, second, mode, best), 4),
                   second_miou_pamr=round(miou(model, second, mode, best, 'pamr'), 4))
        rows.append(row); print(json.dumps(row), flush=True)
    print(json.dumps(dict(seconds=round(time.time() - t0), threads=torch.get_num_threads(), machine=platform.processor() or platform.machine(),
                          torch=torch.__version__)))


if __name__ == '__main__': main()
