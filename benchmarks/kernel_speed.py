"""Two CPU kernels behind two layout and precision rules, each timed both ways in one run:

- fused attention (`F.scaled_dot_product_attention`), forward and forward + backward, in fp32 and bf16, at the demo
  model's and the released model's shapes: why `attention` (notebook 03) runs in fp32 under CPU autocast in
  training mode;
- the demo's patch embedding (`CNNStem`, LayerNorm, position embedding; batch 64, 48²), forward and backward, computed
  in NCHW and in channels-last (NHWC), interleaved: why `PatchEmbed` (notebook 02_patch_embed) stores its stem channels-last.

    python benchmarks/kernel_speed.py [--threads N] [--repeats 15]
"""
import argparse, os, statistics, time
import torch, torch.nn.functional as F

SHAPES = {'demo (64 images × 4 heads × 152 tokens × 32)': (64, 4, 152, 32),
          'GroupViT-S/16 (8 images × 6 heads × 260 tokens × 64)': (8, 6, 260, 64)}


def median_ms(f, repeats):
    for _ in range(3): f()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--threads', type=int, default=torch.get_num_threads()); ap.add_argument('--repeats', type=int, default=15)
    a = ap.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    load0 = os.getloadavg()[0]
    for name, shape in SHAPES.items():
        ms = {}
        for dtype in (torch.float32, torch.bfloat16):
            q, k, v = (torch.randn(shape, dtype=dtype, requires_grad=True) for _ in range(3))
            def both():
                o = F.scaled_dot_product_attention(q, k, v); o.backward(torch.ones_like(o))
            with torch.no_grad(): fwd = median_ms(lambda: F.scaled_dot_product_attention(q, k, v), a.repeats)
            ms[dtype] = (fwd, median_ms(both, a.repeats))
        (f32, b32), (f16, b16) = ms[torch.float32], ms[torch.bfloat16]
        print(f"{name}: forward fp32 {f32:.2f} ms, bf16 {f16:.2f} ms; forward + backward fp32 {b32:.2f} ms, bf16 {b16:.2f} ms "
              f"(bf16 / fp32 = {b16 / b32:.2f})")
    from groupvit_nb.patch import PatchEmbed
    x = torch.randn(64, 3, 48, 48)
    nhwc = PatchEmbed(48, 4, embed_dim=128, stem='cnn')
    nchw = PatchEmbed(48, 4, embed_dim=128, stem='cnn').to(memory_format=torch.contiguous_format)
    def nchw_forward(x):                             # the same module computed in NCHW throughout
        return nchw.norm(nchw.proj(x).flatten(2).transpose(1, 2)) + nchw.pos_embed
    runs = {'NCHW': lambda: nchw_forward(x).square().mean().backward(),
            'channels-last': lambda: nhwc(x)[0].square().mean().backward()}
    ts = {k: [] for k in runs}
    for i in range(a.repeats + 3):                   # interleaved; the first 3 rounds warm up
        for k, f in runs.items():
            t = time.perf_counter(); f()
            if i >= 3: ts[k].append(time.perf_counter() - t)
    print("the demo's PatchEmbed (CNNStem, LayerNorm, position embedding; batch 64, 48², forward + backward): "
          + ', '.join(f"{k} {statistics.median(v) * 1e3:.1f} ms" for k, v in ts.items()))
    print(f"torch {torch.__version__}, threads {a.threads}; load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == '__main__': main()
