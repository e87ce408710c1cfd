"""GPU training speed of groupvit_s16 on one GPU: batch 256, bf16, with and without torch.compile — images/s,
peak memory and model-FLOPs utilisation (MFU = FLOPs of one training step counted by torch's FlopCounterMode ÷
step time ÷ the card's dense bf16 peak). Target: ≥ 35 % MFU on an H100. Steps run through the same fastai Learner
as `groupvit_train` (AdamW, grad clip, logit-scale clamp), on random tensors already on the GPU, so data loading
is not measured.   python benchmarks/gpu_train.py [--batch 256] [--steps 30] [--no-compile] [--peak-tflops X]
(`--device cpu --preset tiny --batch 8 --steps 4` runs the same code on CPU as a smoke test, without MFU.)"""
import argparse, time

import torch
from torch.utils.flop_counter import FlopCounterMode
from fastai.callback.core import Callback
from fastai.data.core import DataLoaders

from groupvit_nb.core import groupvit_s16, groupvit_tiny
from groupvit_nb.train import groupvit_learner, fit_groupvit, PairLoss

PEAK_BF16_TFLOPS = {'H100 SXM': 989, 'H100 NVL': 835, 'H100 PCIe': 756, 'H100': 989, 'H200': 989, 'H800': 989,
                    'A100': 312, 'L40S': 362, 'B200': 2250, 'GH200': 989}


def peak_tflops(name):
    for k in sorted(PEAK_BF16_TFLOPS, key=len, reverse=True):
        if all(w in name for w in k.split()): return PEAK_BF16_TFLOPS[k]
    return None


class RandomPairs:
    "`steps` batches of the same random (images, tokens [B, 1+K, 77]) on `device` — what a fastai loader needs."
    def __init__(self, bs, size, steps, device, K=3, L=77):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(bs, 3, size, size, generator=g).to(device)
        tok = torch.randint(1, 49405, (bs, 1 + K, L), generator=g)
        tok[..., 0], tok[..., 20] = 49406, 49407  # start, end of text: 21 real tokens
        tok[..., 21:] = 0
        self.tok, self.bs, self.steps, self.device = tok.to(device), bs, steps, device
    def __len__(self): return self.steps
    def __iter__(self): return iter([(self.x, self.tok)] * self.steps)
    def to(self, device): return self


class StepTimer(Callback):
    order = 99
    def __init__(self, sync): self.sync, self.times = sync, []
    def before_batch(self):
        if self.sync: torch.cuda.synchronize()
        self.t0 = time.perf_counter()
    def after_batch(self):
        if self.sync: torch.cuda.synchronize()
        if self.training: self.times.append(time.perf_counter() - self.t0)


def step_flops(make_model, loader, device):
    "FLOPs of one forward + backward (model and eq. 8), counted on the uncompiled model in bf16 autocast."
    model = make_model().to(device).train()
    loss = PairLoss()
    with FlopCounterMode(display=False) as fc:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == 'cuda'):
            out = model(loader.x, loader.tok)
            pred = {k: v for k, v in out.items() if v is not None}
            pred.update(logit_scale=model.logit_scale, multi_label_logit_scale=model.multi_label_logit_scale)
            total = loss(pred, loader.tok)
        total.backward()
    del model
    return fc.get_total_flops()


def run(make_model, bs, size, steps, warmup, device, compile, precision):
    loader = RandomPairs(bs, size, steps, device)
    timer = StepTimer(device.type == 'cuda')
    learn = groupvit_learner(DataLoaders(loader, []), make_model(), precision=precision, compile=compile, metrics=False, cbs=[timer])
    learn.recorder.valid_metrics = False
    if device.type == 'cuda': torch.cuda.reset_peak_memory_stats()
    with learn.no_bar(), learn.no_logging(): fit_groupvit(learn, 1, 1e-4, warmup_epochs=0)
    t = sorted(timer.times[warmup:])
    med = t[len(t) // 2]
    mem = torch.cuda.max_memory_allocated() / 2**30 if device.type == 'cuda' else float('nan')
    del learn
    if device.type == 'cuda': torch.cuda.empty_cache()
    return med, mem


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--warmup', type=int, default=10, help='steps not timed (compilation, allocator warm-up)')
    ap.add_argument('--preset', default='s16', choices=['s16', 'tiny'])
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--no-compile', action='store_true', help='only the eager run')
    ap.add_argument('--peak-tflops', type=float, help="the card's dense bf16 peak, if not in the table")
    a = ap.parse_args()
    device = torch.device(a.device)
    if device.type == 'cuda' and not torch.cuda.is_available(): raise SystemExit('gpu_train: no CUDA GPU visible; this benchmark needs one.')
    make = groupvit_s16 if a.preset == 's16' else groupvit_tiny
    size = 224 if a.preset == 's16' else 64
    name = torch.cuda.get_device_name() if device.type == 'cuda' else 'CPU'
    peak = a.peak_tflops or (peak_tflops(name) if device.type == 'cuda' else None)
    torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
    flops = step_flops(make, RandomPairs(a.batch, size, 1, device), device)
    print(f'{name}; torch {torch.__version__}; groupvit_{a.preset} {size}², batch {a.batch}, K=3, 77 tokens; '
          f'{flops / 1e9:,.1f} GFLOP per training step (fwd+bwd){"; peak bf16 %g TFLOP/s" % peak if peak else ""}')
    precision = 'bf16' if device.type == 'cuda' else 'fp32'
    for compile in ([False] if a.no_compile else [False, True]):
        warm = min(a.warmup, a.steps - 1)
        med, mem = run(make, a.batch, size, a.steps, warm, device, compile, precision)
        mfu = flops / med / (peak * 1e12) if peak else float('nan')
        print(f"{'compiled' if compile else 'eager   '} {precision}: {a.batch / med:8.1f} images/s, step {med * 1e3:7.1f} ms, "
              f"peak memory {mem:5.1f} GiB, MFU {mfu:.1%}")
