"""encode_image of groupvit_nb vs transformers' GroupViTModel.get_image_features, same weights, same input, same threads,
in fp32 and bf16, each as a fraction of this machine's matmul peak measured in the same run.

Builds a transformers GroupViTModel with random weights (the released architecture), loads the same weights into
groupvit_nb's GroupViT through the checkpoint converter and checks that the L2-normalised outputs agree. It then
measures the dense matmul peak (2048³, median of several) in fp32 and bf16, counts the FLOPs of one batch of
encode_image (`FlopCounterMode`), and times both models at each precision in interleaved repeats (A, B, A, B, ...).
bf16 is autocast for both: `encode_image(x, precision='bf16')` here, `torch.autocast` around transformers. Prints
median times, GFLOP/s, the fraction of the peak and the ratio to transformers, with the load average before and after.
Beside each share of the peak it prints the ceiling of `benchmarks/ceiling.py`, measured in the same run: the share of
the peak encode_image would reach if everything but its matrix multiplies and attention calls took no time. The row
'groupvit_nb, casts per call' runs the encoder under plain autocast, which casts every weight again at each call; the
default row uses the matrices cast once (`GroupViT.cast_weights`, eval mode).

    python benchmarks/image_speed.py [--batch 8] [--size 224] [--threads N] [--repeats 9] [--precision fp32 bf16] [--compile]
"""
import argparse, contextlib, logging, os, statistics, sys, time, warnings
import torch, torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def count_cpu_attention():
    "Teach `FlopCounterMode` the FLOPs of PyTorch's fused CPU attention, which it counts as 0 (forward and backward)."
    from torch.utils import flop_counter as fc
    aten = torch.ops.aten
    if aten._scaled_dot_product_flash_attention_for_cpu in fc.flop_registry: return
    @fc.register_flop_formula(aten._scaled_dot_product_flash_attention_for_cpu)
    def _fwd(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs):
        return fc.sdpa_flop_count(query_shape, key_shape, value_shape)
    @fc.register_flop_formula(aten._scaled_dot_product_flash_attention_for_cpu_backward)
    def _bwd(grad_out_shape, query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs):
        return fc.sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape)


def matmul_peak(dtype, device, n=2048, repeats=7, warmup_s=1.0) -> float:
    "Median FLOP/s of an n³ matrix multiply in `dtype` on `device`, after `warmup_s` seconds of the same multiply."
    a, b = (torch.randn(n, n, device=device).to(dtype) for _ in range(2))
    sync = torch.cuda.synchronize if torch.device(device).type == 'cuda' else (lambda: None)
    t0 = time.perf_counter()  # the first calls run slower (threads waking, clocks rising): two were not enough
    while time.perf_counter() - t0 < warmup_s: a @ b; sync()
    ts = []
    for _ in range(repeats):
        sync(); t = time.perf_counter(); a @ b; sync(); ts.append(time.perf_counter() - t)
    return 2 * n**3 / statistics.median(ts)


def replays(model, x, p) -> dict:
    "ceiling.py's parts of `encode_image(x, precision=p)`: its matrix multiplies and attention calls, each replayed alone."
    from ceiling import Record, replay
    rec = Record()
    with rec: model.encode_image(x, precision=p)
    return {'multiplies alone': lambda: replay(rec.calls['matmul']), 'attention alone': lambda: replay(rec.calls['attention'])}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--batch', type=int, default=8); ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--threads', type=int, default=torch.get_num_threads()); ap.add_argument('--repeats', type=int, default=9)
    ap.add_argument('--precision', nargs='+', default=['fp32', 'bf16'], choices=['fp32', 'bf16'])
    ap.add_argument('--compile', action='store_true', help='also time torch.compile(encode_image) of groupvit_nb')
    ap.add_argument('--device', default='cpu')
    a = ap.parse_args()
    warnings.filterwarnings('ignore'); logging.getLogger('transformers').setLevel(logging.ERROR)
    import transformers
    from groupvit_nb.core import GroupViT
    from groupvit_nb.pretrained import hf_to_ours, hf_config_to_ours, load_state_dict_strict
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    load0 = os.getloadavg()[0]
    hf = transformers.GroupViTModel(transformers.GroupViTConfig()).eval().to(a.device)
    ours = GroupViT(hf_config_to_ours(hf.config.to_dict()))
    load_state_dict_strict(ours, hf_to_ours(hf.state_dict(), ours.state_dict().keys()), allow_missing=('multi_label_logit_scale',))
    ours = ours.eval().to(a.device)
    x = torch.randn(a.batch, 3, a.size, a.size, device=a.device)
    dev = torch.device(a.device).type
    sync = torch.cuda.synchronize if dev == 'cuda' else (lambda: None)
    count_cpu_attention()
    with torch.inference_mode(), FlopCounterMode(display=False) as fc: ours.encode_image(x)
    flops = fc.get_total_flops()
    peaks = {p: matmul_peak(torch.float32 if p == 'fp32' else torch.bfloat16, a.device) for p in a.precision}

    def hf_run(p):
        ctx = torch.autocast(dev, dtype=torch.bfloat16) if p == 'bf16' else contextlib.nullcontext()
        def f():
            with ctx: return hf.get_image_features(pixel_values=x).pooler_output.float()
        return f
    def casts_per_call(p):                                   # plain autocast: every weight cast again at each call
        def f():
            with torch.autocast(dev, dtype=torch.bfloat16): y = ours.img_encoder(x)
            return ours.img_projector(y.float())
        return f
    runs = {}
    for p in a.precision:
        runs[(p, 'transformers')] = hf_run(p)
        runs[(p, 'groupvit_nb')] = (lambda p=p: ours.encode_image(x, precision=p))
        if p == 'bf16': runs[(p, 'groupvit_nb, casts per call')] = casts_per_call(p)
        with torch.inference_mode(): runs.update({(p, k): f for k, f in replays(ours, x, p).items()})   # timed in the same rounds
        if a.compile: runs[(p, 'groupvit_nb compiled')] = torch.compile(lambda p=p: ours.encode_image(x, precision=p))
    with torch.inference_mode():
        outs = {k: f() for k, f in runs.items()}                     # warm-up (and compile)
        ref = F.normalize(outs[(a.precision[0], 'transformers')], dim=-1)
        for k, o in outs.items():
            if 'alone' in k[1]: continue
            d = (F.normalize(o.float(), dim=-1) - ref).abs().max().item()
            print(f"{k[0]} {k[1]:28s} max |Δ| of normalised output vs transformers {a.precision[0]}: {d:.2e}")
            if k[0] == 'fp32': assert d < 1e-4, f"{k} disagrees with transformers"
        times = {k: [] for k in runs}
        for _ in range(a.repeats):
            for k, f in runs.items():
                sync(); t = time.perf_counter(); f(); sync(); times[k].append(time.perf_counter() - t)
    load1 = os.getloadavg()[0]
    print(f"device {a.device}, torch {torch.__version__}, transformers {transformers.__version__}, threads {a.threads}, "
          f"batch {a.batch} at {a.size}², {a.repeats} interleaved repeats; load average {load0:.2f} before, {load1:.2f} after")
    print(f"one batch of encode_image: {flops/1e9:.1f} GFLOP")
    for p in a.precision:
        print(f"{p} matmul peak (2048³): {peaks[p]/1e9:.0f} GFLOP/s")
        ref_t = statistics.median(times[(p, 'transformers')])
        ceiling = flops / sum(statistics.median(times[(p, k)]) for k in ('multiplies alone', 'attention alone')) / peaks[p]
        ceilings = {p: ceiling}
        print(f"{p} ceiling (ceiling.py: its multiplies and attention calls alone, all else free): {ceiling:.1%} of {p} peak")
        for k in [k for k in runs if k[0] == p and 'alone' not in k[1]]:
            m = statistics.median(times[k])
            print(f"{p} {k[1]:28s} median {m*1e3:8.1f} ms  {a.batch/m:6.1f} images/s  {flops/m/1e9:6.0f} GFLOP/s  "
                  f"{flops/m/peaks[p]:5.1%} of {p} peak (ceiling {ceilings[p]:5.1%}: {flops/m/peaks[p]/ceilings[p]:4.0%} of it)  "
                  f"speed vs transformers {p}: {ref_t/m:.2f}x")


if __name__ == '__main__': main()
