"""Zero-shot segmentation speed: GroupViT-S/16 (random weights, the released architecture) on VOC-sized images
(500×375 → short side 448 → 597×448, two 448² windows) in slide and whole mode, one image per call and `--batch`
images per call (images/s), plus the one-off cost of the class prompt embeddings (20 VOC classes × 80 templates).

    python benchmarks/segment_speed.py [--device cpu|cuda] [--precision fp32 bf16 ...] [--batch 8] [--reps 3]
"""
import argparse, time
import torch
import torch.nn.functional as F
from PIL import Image
import numpy as np
from groupvit_nb.core import groupvit_s16
from groupvit_nb.segment import segment
from groupvit_nb.eval import VOC_CLASSES


def bench(fn, reps=3, sync=lambda: None):
    "Best and mean seconds of `reps` calls of `fn`, after one warm-up call."
    fn(); sync()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); sync(); ts.append(time.perf_counter() - t)
    return min(ts), sum(ts) / len(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--device', default='cpu'); ap.add_argument('--precision', nargs='+', default=['fp32'])
    ap.add_argument('--batch', type=int, default=8, help='images per call for the images/s figure')
    ap.add_argument('--reps', type=int, default=3)
    a = ap.parse_args()
    device = torch.device(a.device)
    if device.type == 'cuda' and not torch.cuda.is_available(): raise SystemExit('segment_speed.py: error: no CUDA GPU visible')
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    torch.manual_seed(0)
    model = groupvit_s16().eval().to(device)
    rs = np.random.RandomState(0)
    imgs = [Image.fromarray(rs.randint(0, 256, (375, 500, 3), dtype=np.uint8)) for _ in range(a.batch)]
    text = F.normalize(torch.randn(len(VOC_CLASSES), 256), dim=-1).to(device)
    name = torch.cuda.get_device_name() if device.type == 'cuda' else 'CPU'
    print(f"torch {torch.__version__}, {name}, {torch.get_num_threads()} CPU threads")
    for p in a.precision:
        for mode in ('slide', 'whole'):
            run = lambda ims: segment(model, ims, list(VOC_CLASSES), mode=mode, text_emb=text, precision=p, batch_size=a.batch)
            best, mean = bench(lambda: run(imgs[0]), a.reps, sync)
            many, _ = bench(lambda: run(imgs), a.reps, sync)
            print(f"segment s16 {p}, 500x375 image, mode={mode}: best {best*1000:.0f} ms, mean {mean*1000:.0f} ms per image; "
                  f"{a.batch} per call: {a.batch / many:.1f} images/s")
    t = time.perf_counter()
    from groupvit_nb.text import class_embeddings
    class_embeddings(model, list(VOC_CLASSES), templates='full', cache=False); sync()
    print(f"class_embeddings: 20 VOC classes x 80 templates: {time.perf_counter() - t:.1f} s (once per dataset)")


if __name__ == '__main__': main()
