"""groupvit_nb against the official NVlabs/GroupViT code on the same weights: encode_image, the text encoder and one
full training step (forward, eq. 8, backward, AdamW), timed side by side in one run. Ours runs its default fused
AdamW and, in a second row, PyTorch's for-loop AdamW as the official code does, to show what the update contributes.

The official code is not a dependency: pass a checkout of https://github.com/NVlabs/GroupViT with `--nvlabs DIR`.
Its cluster imports are stood in for, without touching its math: `mmcv.utils.Registry` by a small registry,
`omegaconf` by a name, and `diffdist.functional.all_gather` by the identity of a one-process group (a gloo process
group of world size 1 is started, so `dist.get_rank()` answers 0), and its heads' SyncBatchNorm, which refuses CPU
tensors, by BatchNorm1d with the same state (the same math in one process). The released architecture (GCC+YFCC) is built on
both sides from the same random weights (`ours_to_nvlabs`); both run in training mode with the same batch, K
prompts per caption and threads, in interleaved repeats (official, ours, official, …), and the medians are compared.

    python benchmarks/official_speed.py --nvlabs GroupViT [--batch 8] [--size 224] [--k 3] [--threads N] [--repeats 5]
"""
import argparse, os, statistics, sys, tempfile, time, types, warnings
import torch, torch.distributed as dist


def shim_cluster_imports():
    "Stand-ins for mmcv's registry, omegaconf and diffdist, enough to import `models` of the official code on one CPU process."
    class Registry:
        def __init__(self, name): self.name, self.classes = name, {}
        def register_module(self):
            def add(cls): self.classes[cls.__name__] = cls; return cls
            return add
        def build(self, cfg):
            cfg = dict(cfg); return self.classes[cfg.pop('type')](**cfg)
    mmcv, utils = types.ModuleType('mmcv'), types.ModuleType('mmcv.utils')
    utils.Registry, mmcv.utils = Registry, utils
    omegaconf = types.ModuleType('omegaconf'); omegaconf.OmegaConf = None
    diffdist, functional = types.ModuleType('diffdist'), types.ModuleType('diffdist.functional')
    def all_gather(out_list, x):
        if len(out_list) != 1: raise RuntimeError('this stand-in for diffdist gathers in a one-process group only')
        return [x]
    functional.all_gather, diffdist.functional = all_gather, functional
    sys.modules.update({'mmcv': mmcv, 'mmcv.utils': utils, 'omegaconf': omegaconf, 'diffdist': diffdist,
                        'diffdist.functional': functional})


def plain_batchnorm(module):
    "SyncBatchNorm → BatchNorm1d with the same parameters and statistics: the same math in a one-process group, on a CPU."
    for name, child in module.named_children():
        if isinstance(child, torch.nn.SyncBatchNorm):
            bn = torch.nn.BatchNorm1d(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            bn.load_state_dict(child.state_dict()); setattr(module, name, bn)
        else: plain_batchnorm(child)
    return module


def official_model(nvlabs_dir):
    "The official MultiLabelContrastive with the settings of configs/group_vit_gcc_yfcc_30e.yml."
    shim_cluster_imports(); sys.path.insert(0, str(nvlabs_dir))
    from models import MultiLabelContrastive
    return plain_batchnorm(MultiLabelContrastive(
        img_encoder=dict(type='GroupViT', embed_dim=384, num_heads=[6, 6, 6], depths=[6, 3, 3], num_group_tokens=[64, 8, 0],
                         num_output_groups=[64, 8], drop_rate=0.0, drop_path_rate=0.1),
        text_encoder=dict(type='TextTransformer', context_length=77, width=256, layers=12, vocab_size=49408),
        contrast_temperature=0.07, proj_num_layers=2, output_dim=256, multi_label=3))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--nvlabs', required=True, help='a checkout of NVlabs/GroupViT')
    ap.add_argument('--batch', type=int, default=8); ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--k', type=int, default=3, help='prompts per caption (eq. 7)')
    ap.add_argument('--threads', type=int, default=torch.get_num_threads()); ap.add_argument('--repeats', type=int, default=5)
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.nvlabs, 'models', 'group_vit.py')):
        sys.exit(f"official_speed.py: error: {a.nvlabs} is not a checkout of NVlabs/GroupViT (no models/group_vit.py)")
    if a.batch < 2: sys.exit("official_speed.py: error: --batch must be at least 2 (the heads' BatchNorm needs two samples in training)")
    warnings.filterwarnings('ignore')
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    dist.init_process_group('gloo', init_method=f'file://{tempfile.mktemp()}', rank=0, world_size=1)
    from groupvit_nb.core import GroupViT, GroupViTConfig
    from groupvit_nb.losses import GroupViTLoss
    from groupvit_nb.pretrained import ours_to_nvlabs
    load0 = os.getloadavg()[0]
    theirs, ours = official_model(a.nvlabs), GroupViT(GroupViTConfig())
    missing, unexpected = theirs.load_state_dict(ours_to_nvlabs(ours.state_dict()), strict=False)
    extra = [k for k in missing if not k.endswith('num_batches_tracked')]
    if extra or unexpected: sys.exit(f"official_speed.py: error: the weights do not map: missing {extra[:5]}, unexpected {unexpected[:5]}")
    theirs.train(); ours.train()
    x = torch.randn(a.batch, 3, a.size, a.size)
    tokens = torch.randint(1, 49407, (a.batch, 1 + a.k, 77)); tokens[..., 20] = 49407  # end-of-text at position 20
    tokens[..., 21:] = 0
    loss_fn = GroupViTLoss()
    from groupvit_nb.train import adamw_kwargs  # ours: the default fused update, and PyTorch's for-loop (as the official code)
    opt_t = torch.optim.AdamW(theirs.parameters(), lr=1e-6)
    opt_o, opt_l = (torch.optim.AdamW(ours.parameters(), lr=1e-6, **adamw_kwargs(i)) for i in ('fused', 'for-loop'))

    def step_theirs():
        losses = theirs(x, tokens); loss = sum(losses.values())
        opt_t.zero_grad(set_to_none=True); loss.backward(); opt_t.step()
    def step_ours(opt):
        out = ours(x, tokens)
        loss, _ = loss_fn(out['image_emb'], out['text_emb'], out['prompt_emb'], ours.logit_scale, ours.multi_label_logit_scale)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    with torch.no_grad():  # the same weights give the same embeddings (eval mode: no drop path, no Gumbel noise)
        theirs.eval(); ours.eval()
        d_img = (theirs.encode_image(x) - ours.encode_image(x)).abs().max().item()
        d_txt = (theirs.encode_text(tokens[:, 0]) - ours.encode_text(tokens[:, 0])).abs().max().item()
        theirs.train(); ours.train()
    print(f"same weights, eval mode: max |Δ| encode_image {d_img:.1e}, text encoder {d_txt:.1e}")
    runs = {'encode_image': (lambda: theirs.encode_image(x), lambda: ours.encode_image(x), True),
            'text encoder': (lambda: theirs.encode_text(tokens.flatten(0, 1)), lambda: ours.encode_text(tokens.flatten(0, 1)), True),
            'training step': (step_theirs, lambda: step_ours(opt_o), False),
            'step, for-loop AdamW': (step_theirs, lambda: step_ours(opt_l), False)}
    times = {(n, who): [] for n in runs for who in ('official', 'groupvit_nb')}
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from image_speed import matmul_peak, count_cpu_attention
    from torch.utils.flop_counter import FlopCounterMode
    peak, flops = matmul_peak(torch.float32, 'cpu'), {}
    count_cpu_attention()
    for n, (ft, fo, no_grad) in runs.items():
        ctx = torch.no_grad if no_grad else torch.enable_grad
        with ctx():
            ft(); fo()  # warm-up
            for who, f in (('official', ft), ('groupvit_nb', fo)):
                with FlopCounterMode(display=False) as fc: f()
                flops[(n, who)] = fc.get_total_flops()
            for _ in range(a.repeats):
                for who, f in (('official', ft), ('groupvit_nb', fo)):
                    t = time.perf_counter(); f(); times[(n, who)].append(time.perf_counter() - t)
    for name, opt in (('fused', opt_o), ('for-loop', opt_l)):  # the update alone, on the gradients of the last step
        ts = []
        for _ in range(a.repeats): t = time.perf_counter(); opt.step(); ts.append(time.perf_counter() - t)
        times[(f'AdamW {name}', 'groupvit_nb')] = ts
    load1 = os.getloadavg()[0]
    print(f"torch {torch.__version__}, threads {a.threads}, batch {a.batch} at {a.size}², K = {a.k}, 77-token text, "
          f"{a.repeats} interleaved repeats, training mode; load average {load0:.2f} before, {load1:.2f} after")
    print(f"fp32 matmul peak (2048³) measured in this run: {peak/1e9:.0f} GFLOP/s; FLOPs counted by FlopCounterMode "
          "(matrix multiplies, convolutions and attention, forward and backward) for each side")
    for n in runs:
        t, o = statistics.median(times[(n, 'official')]), statistics.median(times[(n, 'groupvit_nb')])
        share = lambda who, m: f"{flops[(n, who)]/1e9:6.1f} GFLOP, {flops[(n, who)]/m/peak:5.1%} of peak"
        print(f"{n:20s} official {t*1e3:8.1f} ms ({share('official', t)})  groupvit_nb {o*1e3:8.1f} ms "
              f"({share('groupvit_nb', o)})  speed-up of groupvit_nb {t/o:.2f}x")
    f, l = (statistics.median(times[(f'AdamW {i}', 'groupvit_nb')]) for i in ('fused', 'for-loop'))
    print(f"the AdamW update alone ({sum(p.numel() for p in ours.parameters())/1e6:.1f} M parameters): fused {f*1e3:.1f} ms, "
          f"for-loop {l*1e3:.1f} ms ({l/f:.1f}x)")
    dist.destroy_process_group()


if __name__ == '__main__': main()
