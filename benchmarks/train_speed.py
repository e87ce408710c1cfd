"""Training speed of groupvit_tiny on CPU (images/s of full training steps: forward, eq. 8, backward, AdamW), and the
proof that it learns: `groupvit_train` on the synthetic shapes for a few minutes — loss falls, zero-shot retrieval
top-1 on held-out pairs rises far above chance.  python benchmarks/train_speed.py [--skip-proof]"""
import argparse, csv, sys, tempfile, time
from pathlib import Path

import torch
from fastai.callback.core import Callback

from groupvit_nb.core import groupvit_tiny
from groupvit_nb.train import groupvit_learner, synthetic_dataloaders, fit_groupvit, main


class Timer(Callback):
    "Wall time of each training step (data loading excluded), after `warmup` steps."
    order = 99
    def __init__(self, warmup=2): self.warmup, self.times = warmup, []
    def before_batch(self): self.t0 = time.perf_counter()
    def after_batch(self):
        if self.training: self.times.append(time.perf_counter() - self.t0)


def speed(bs=32, context_length=77, steps=12, threads=None):
    if threads: torch.set_num_threads(threads)
    torch.manual_seed(0)
    dls = synthetic_dataloaders(bs * steps, bs, 64, bs, context_length=context_length, num_workers=0)
    t = Timer()
    learn = groupvit_learner(dls, groupvit_tiny(), cbs=[t], metrics=False)
    with learn.no_bar(), learn.no_logging(): fit_groupvit(learn, 1, 1e-3, warmup_epochs=0)
    times = sorted(t.times[t.warmup:])
    med = times[len(times) // 2]
    return bs / med


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--skip-proof', action='store_true')
    a = ap.parse_args()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads (2 shared cores)')
    for ctx in (77, 32):
        print(f'groupvit_tiny 64², batch 32, K=3, text context {ctx}: {speed(context_length=ctx):.1f} images/s (median step)')
    if a.skip_proof: sys.exit()
    out = Path(tempfile.mkdtemp()) / 'proof'
    t0 = time.time()
    # the settings of the `#| slow` proof cell of nbs/14_train.ipynb: crop + flip only (no RandAugment, crop scale 0.5–1)
    main(['--data', 'synthetic', '--preset', 'tiny', '--n-train', '2560', '--n-valid', '100', '--batch', '64', '--epochs', '6',
          '--warmup-epochs', '0.5', '--lr', '1e-3', '--augment', 'none', '--crop-scale', '0.5', '--erase', '0',
          '--num-workers', '0', '--out', str(out), '--no-progress', '--save-every', '0', '--collapse-every', '20'])
    print(f'proof run: {time.time() - t0:.0f} s; chance level of retrieval top-1 = 1/100 = 0.010')
    rows = list(csv.DictReader((out / 'epochs.csv').open()))
    for r in rows: print(f"epoch {r['epoch']}: train_loss {r['train_loss']}  valid_loss {r['valid_loss']}  "
                         f"i2t_top1 {float(r['i2t_top1']):.3f}  t2i_top1 {float(r['t2i_top1']):.3f}")
    print(f'plot: {out / "train.png"}')
