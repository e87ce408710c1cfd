"""Data-loading speed of groupvit_nb.data, beside the model's training speed on the same machine.

    python benchmarks/data_speed.py [--n 384] [--workers 0,1,2] [--batch 64]

Prints: synthetic-shapes generation images/s (64², 224²); per-sample costs of JPEG decode, training augmentation at
224² (RandomResizedCrop + flip + RandAugment + normalise + erasing) and multi-label tokenisation; images/s of the
webdataset shard loader end to end for each number of workers; and CPU training images/s of GroupViT-S/16 (224²)
and the tiny preset (64²), forward + backward, so the ratio says how many loader workers the model needs.
"""
import argparse, io, os, sys, tempfile, time
from pathlib import Path
import numpy as np, torch
from PIL import Image
import webdataset as wds

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from groupvit_nb.shapes import SyntheticShapes
from groupvit_nb.data import WebShards, pair_dataloaders, train_transform, load_image
from groupvit_nb.text import MultiLabelTokenizer


def rate(fn, n):
    t0 = time.perf_counter()
    for i in range(n): fn(i)
    return n / (time.perf_counter() - t0)


def make_shards(d, n, per_shard=64, size=(320, 256)):
    "JPEG shards like img2dataset's (image + caption + json), images from synthetic shapes at 320x256."
    ds = SyntheticShapes(n, size=size[::-1], seed=1)
    for s in range(0, n, per_shard):
        with wds.TarWriter(str(d / f'{s // per_shard:05d}.tar')) as w:
            for i in range(s, min(s + per_shard, n)):
                img, cap = ds.get(i)
                b = io.BytesIO(); img.save(b, 'JPEG', quality=90)
                w.write({'__key__': f'{i:09d}', 'jpg': b.getvalue(), 'txt': cap, 'json': b'{}'})
    return str(d / f'{{00000..{(n - 1) // per_shard:05d}}}.tar')


def loader_rate(spec, workers, batch, n):
    dls = pair_dataloaders(spec, size=224, batch_size=batch, num_workers=workers, epoch_length=n,
                           tokenizer=MultiLabelTokenizer(num_prompts=3), persistent_workers=False, pin_memory=False)
    it = iter(dls.train); next(it)                              # start-up (worker spawn, first batch) not timed
    t0, k = time.perf_counter(), 0
    for x, _ in it: k += len(x)
    return k / (time.perf_counter() - t0)


def model_rate(make, size, batch, steps=3):
    torch.manual_seed(0)
    m = make(); m.train()
    opt = torch.optim.AdamW(m.parameters(), 1e-4)
    x, t = torch.randn(batch, 3, size, size), torch.randint(1, 49000, (batch, 4, 77))
    def step():
        out = m(x, t); loss = out['image_emb'].pow(2).mean() + out['text_emb'].pow(2).mean() + out['prompt_emb'].pow(2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    step()
    t0 = time.perf_counter()
    for _ in range(steps): step()
    return batch * steps / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=384, help='images in the benchmark shards')
    p.add_argument('--workers', default='0,1,2', help='comma-separated numbers of loader workers')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--no-model', action='store_true', help='skip the model training figures')
    a = p.parse_args()
    torch.set_num_threads(1)
    print(f'torch {torch.__version__}, {os.cpu_count()} CPU cores visible, load average {os.getloadavg()[0]:.1f}')
    s64, s224 = SyntheticShapes(10**6, 64), SyntheticShapes(10**6, 224)
    print(f'synthetic shapes, 1 process: {rate(s64.sample, 300):.0f} images/s at 64², {rate(s224.sample, 100):.0f} images/s at 224²')
    with tempfile.TemporaryDirectory() as d:
        spec = make_shards(Path(d), a.n)
        raw = [s for s in WebShards(spec).samples()][:100]
        imgs = [load_image(s['jpg']) for s in raw]
        caps = [s['txt'].decode() for s in raw]
        tfm, tok = train_transform(224), MultiLabelTokenizer(num_prompts=3)
        for c in caps: tok(c)  # warm the noun tagger and BPE caches
        dec = rate(lambda i: load_image(raw[i]['jpg']), len(raw))
        aug = rate(lambda i: tfm(imgs[i]), len(imgs))
        tkn = rate(lambda i: tok(caps[i] + f' {i}'), len(caps))
        per = 1 / (1 / dec + 1 / aug + 1 / tkn)
        print(f'per sample, 1 core: decode 320x256 JPEG {dec:.0f}/s, train augmentation 224² {aug:.0f}/s, '
              f'tokenize caption + 3 prompts {tkn:.0f}/s → {per:.0f} samples/s per worker')
        for w in [int(v) for v in a.workers.split(',')]:
            print(f'shard loader, {w} worker(s), batch {a.batch}, 224² train augmentation: '
                  f'{loader_rate(spec, w, a.batch, a.n):.0f} images/s')
    if not a.no_model:
        from groupvit_nb.core import groupvit_s16, groupvit_tiny
        torch.set_num_threads(2)
        print(f'model training (fwd+bwd+AdamW, CPU 2 threads): GroupViT-S/16 224² batch 8: '
              f'{model_rate(groupvit_s16, 224, 8, 2):.1f} images/s; tiny 64² batch 32: {model_rate(groupvit_tiny, 64, 32):.1f} images/s')


if __name__ == '__main__':
    main()
