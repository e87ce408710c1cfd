"""Zero-shot segmentation speed on CPU: GroupViT-S/16 (random weights, the released architecture) on a VOC-sized
image (500×375 → short side 448 → 597×448, two 448² windows) in slide and whole mode, plus the one-off cost of the
class prompt embeddings (20 VOC classes × 80 templates). Run: python benchmarks/segment_speed.py"""
import time
import torch
import torch.nn.functional as F
from PIL import Image
import numpy as np
from groupvit_nb.core import groupvit_s16
from groupvit_nb.segment import segment
from groupvit_nb.eval import VOC_CLASSES

def bench(fn, reps=3):
    fn()                                                   # warm-up
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts), sum(ts) / len(ts)

if __name__ == '__main__':
    torch.manual_seed(0)
    model = groupvit_s16().eval()
    img = Image.fromarray(np.random.RandomState(0).randint(0, 256, (375, 500, 3), dtype=np.uint8))
    text = F.normalize(torch.randn(len(VOC_CLASSES), 256), dim=-1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    for mode in ('slide', 'whole'):
        best, mean = bench(lambda: segment(model, img, list(VOC_CLASSES), mode=mode, text_emb=text))
        print(f"segment s16, 500x375 image, mode={mode}: best {best*1000:.0f} ms, mean {mean*1000:.0f} ms per image")
    try:
        from groupvit_nb.text import class_embeddings
        t = time.perf_counter()
        class_embeddings(model, list(VOC_CLASSES), templates='full', cache=False)
        print(f"class_embeddings: 20 VOC classes x 80 templates: {time.perf_counter() - t:.1f} s (once per dataset)")
    except ImportError: print("class_embeddings: groupvit_nb.text not available")
