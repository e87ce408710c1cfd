"""How close to the matmul peak can encode_image get on this machine? Its own matrix multiplies and attention calls,
replayed alone, give the ceiling; the whole call is measured against it in the same run.

One batch of `encode_image` (the released architecture, random weights) is run under a dispatch mode that records
every matrix multiply (linear, mm, addmm, bmm, matmul, convolution) and every fused attention call with its exact
inputs, after autocast has cast them. Those calls are then replayed back to back with nothing between them, and the
whole `encode_image` is timed, interleaved (replay, whole, replay, ...). The FLOPs of each part are counted with
`FlopCounterMode` (fused CPU attention included). The ceiling is the share of the peak that encode_image would reach
if everything else it does (LayerNorm, GELU, residual adds, reshapes, the grouping's softmax and one-hot, casts) took
no time at all: total FLOPs / (replayed matmul time + replayed attention time) / peak.

    python benchmarks/ceiling.py [--batch 8] [--size 224] [--threads N] [--repeats 9] [--precision fp32 bf16]
"""
import argparse, os, statistics, sys, time, warnings
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from image_speed import matmul_peak, count_cpu_attention

aten = torch.ops.aten
MATMULS = {aten.linear.default, aten.mm.default, aten.addmm.default, aten.bmm.default, aten.matmul.default,
           aten.conv2d.default, aten.convolution.default}
ATTENTION = {aten.scaled_dot_product_attention.default, aten._scaled_dot_product_flash_attention_for_cpu.default}


class Record(TorchDispatchMode):
    "Keep a copy of the inputs of every matrix multiply and attention call, by kind."
    def __init__(self): super().__init__(); self.calls = {'matmul': [], 'attention': []}
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kind = 'matmul' if func in MATMULS else 'attention' if func in ATTENTION else None
        if kind: self.calls[kind].append((func, [a.clone() if isinstance(a, torch.Tensor) else a for a in args], kwargs or {}))
        return func(*args, **(kwargs or {}))


def replay(calls):
    for func, args, kwargs in calls: func(*args, **kwargs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--batch', type=int, default=8); ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--threads', type=int, default=torch.get_num_threads()); ap.add_argument('--repeats', type=int, default=9)
    ap.add_argument('--precision', nargs='+', default=['fp32', 'bf16'], choices=['fp32', 'bf16'])
    a = ap.parse_args()
    warnings.filterwarnings('ignore')
    from groupvit_nb.core import GroupViT, GroupViTConfig
    from groupvit_nb.cli import keep_freed_memory
    keep_freed_memory()  # as the commands do: freed tensors are not paged in again on the next call
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    load0 = os.getloadavg()[0]
    model = GroupViT(GroupViTConfig()).eval()
    x = torch.randn(a.batch, 3, a.size, a.size)
    count_cpu_attention()
    rows = []
    with torch.inference_mode():
        for p in a.precision:
            peak = matmul_peak(torch.float32 if p == 'fp32' else torch.bfloat16, 'cpu')
            rec = Record()
            with rec: model.encode_image(x, precision=p)
            parts = {'matmul': lambda: replay(rec.calls['matmul']), 'attention': lambda: replay(rec.calls['attention']),
                     'whole': lambda: model.encode_image(x, precision=p)}
            flops, times = {}, {k: [] for k in parts}
            for k, f in parts.items():
                f()  # warm-up
                with FlopCounterMode(display=False) as fc: f()
                flops[k] = fc.get_total_flops()
            for _ in range(a.repeats):
                for k, f in parts.items(): t = time.perf_counter(); f(); times[k].append(time.perf_counter() - t)
            if flops['matmul'] + flops['attention'] != flops['whole']:  # every multiply of the call must be replayed
                sys.exit(f"ceiling.py: error: the recorded calls hold {flops['matmul'] + flops['attention']} of the "
                         f"call's {flops['whole']} FLOPs: a kind of multiply is missing from MATMULS or ATTENTION")
            t = {k: statistics.median(v) for k, v in times.items()}
            rows.append((p, peak, len(rec.calls['matmul']), len(rec.calls['attention']), flops, t))
    load1 = os.getloadavg()[0]
    print(f"torch {torch.__version__}, threads {a.threads}, encode_image of the released architecture, batch {a.batch} at "
          f"{a.size}², {a.repeats} interleaved repeats, medians; load average {load0:.2f} before, {load1:.2f} after")
    for p, peak, n_mm, n_att, flops, t in rows:
        share = lambda f, s: f"{f/1e9:5.1f} GFLOP in {s*1e3:6.1f} ms = {f/s/peak:5.1%} of peak"
        ceiling = flops['whole'] / (t['matmul'] + t['attention']) / peak
        print(f"\n{p}: matmul peak (2048³) {peak/1e9:.0f} GFLOP/s")
        print(f"  {n_mm:3d} matrix multiplies alone   {share(flops['matmul'], t['matmul'])}")
        print(f"  {n_att:3d} attention calls alone     {share(flops['attention'], t['attention'])}")
        print(f"  the whole encode_image        {share(flops['whole'], t['whole'])}")
        print(f"  ceiling (all else free)       {ceiling:5.1%} of peak; the rest of encode_image takes "
              f"{(t['whole'] - t['matmul'] - t['attention'])*1e3:.1f} ms ({1 - (t['matmul'] + t['attention'])/t['whole']:.0%} of it)")


if __name__ == '__main__': main()
