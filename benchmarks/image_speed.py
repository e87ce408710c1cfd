"""encode_image of groupvit_nb vs transformers' GroupViTModel.get_image_features, same weights, same input, same threads.

Builds a transformers GroupViTModel with random weights (the released architecture), loads the same weights into
groupvit_nb's GroupViT through the checkpoint converter, checks that the L2-normalised outputs agree, then times both
in interleaved repeats (A, B, A, B, ...) and prints the median times and their ratio.

    python benchmarks/image_speed.py [--batch 8] [--size 224] [--threads N] [--repeats 15] [--compile]
"""
import argparse, logging, statistics, time, warnings
import torch, torch.nn.functional as F

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--batch', type=int, default=8); ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--threads', type=int, default=torch.get_num_threads()); ap.add_argument('--repeats', type=int, default=15)
    ap.add_argument('--compile', action='store_true', help='also time torch.compile(encode_image) of groupvit_nb')
    ap.add_argument('--device', default='cpu')
    a = ap.parse_args()
    warnings.filterwarnings('ignore'); logging.getLogger('transformers').setLevel(logging.ERROR)
    import transformers
    from groupvit_nb.core import GroupViT
    from groupvit_nb.pretrained import hf_to_ours, hf_config_to_ours, load_state_dict_strict
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    hf = transformers.GroupViTModel(transformers.GroupViTConfig()).eval().to(a.device)
    ours = GroupViT(hf_config_to_ours(hf.config.to_dict()))
    load_state_dict_strict(ours, hf_to_ours(hf.state_dict(), ours.state_dict().keys()), allow_missing=('multi_label_logit_scale',))
    ours = ours.eval().to(a.device)
    x = torch.randn(a.batch, 3, a.size, a.size, device=a.device)
    sync = torch.cuda.synchronize if a.device.startswith('cuda') else (lambda: None)
    runs = {'transformers': lambda: hf.get_image_features(pixel_values=x).pooler_output, 'groupvit_nb': lambda: ours.encode_image(x)}
    if a.compile: runs['groupvit_nb compiled'] = torch.compile(ours.encode_image)
    with torch.inference_mode():
        outs = {k: f() for k, f in runs.items()}                     # warm-up (and compile)
        for k, o in outs.items():
            d = (F.normalize(o, dim=-1) - F.normalize(outs['transformers'], dim=-1)).abs().max().item()
            print(f"{k:22s} max |Δ| of normalised output vs transformers: {d:.2e}")
            assert d < 1e-4, f"{k} disagrees with transformers"
        times = {k: [] for k in runs}
        for _ in range(a.repeats):
            for k, f in runs.items():
                sync(); t = time.perf_counter(); f(); sync(); times[k].append(time.perf_counter() - t)
    ref = statistics.median(times['transformers'])
    print(f"device {a.device}, torch {torch.__version__}, threads {a.threads}, batch {a.batch} at {a.size}², {a.repeats} interleaved repeats")
    for k, ts in times.items():
        m = statistics.median(ts)
        print(f"{k:22s} median {m*1e3:8.1f} ms  ({a.batch/m:6.1f} images/s)  speed vs transformers: {ref/m:.2f}x")

if __name__ == '__main__': main()
