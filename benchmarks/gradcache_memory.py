"""Peak memory and speed of one training step (eq. 8 forward + backward + AdamW) with and without gradient caching.

Each setting runs in its own subprocess, so its peak resident memory (`ru_maxrss`) is its own: the plain full-batch
step, then `GradCache` with several chunk sizes, on the same batch. `--check` also verifies that the gradients of
every setting match the plain step's (float32 rounding, relative).

    python benchmarks/gradcache_memory.py                   # tiny model, batch 128, chunks 64/32/16, 1 thread
    python benchmarks/gradcache_memory.py --batch 256 --chunks 64 16 --threads 2
"""
import argparse, json, resource, subprocess, sys, time


def make_batch(B, K=3, size=64, seed=0):
    import torch
    g = torch.Generator().manual_seed(seed)
    images, tokens = torch.randn(B, 3, size, size, generator=g), torch.randint(1, 40000, (B, 1 + K, 77), generator=g)
    tokens[..., 0] = 49406
    lens = torch.randint(6, 24, (B, 1 + K), generator=g)  # caption / prompt lengths like the synthetic set's
    for i in range(B):
        for t in range(1 + K): tokens[i, t, lens[i, t]] = 49407; tokens[i, t, lens[i, t] + 1:] = 0
    return images, tokens


def run_one(args):
    "In a fresh process: build the model and batch, then time `steps` training steps; print one JSON line."
    import torch
    torch.set_num_threads(args.threads)
    from groupvit_nb.core import groupvit_tiny
    from groupvit_nb.losses import GroupViTLoss
    from groupvit_nb.losses import GradCache
    torch.manual_seed(0)
    # --check compares gradients, so it needs the same noise in every setting: it turns Gumbel noise and drop-path off
    model = (groupvit_tiny(gumbel=False, drop_path_rate=0.) if args.check else groupvit_tiny(drop_path_rate=0.1)).train()
    fwd = model if args.chunk == 0 else GradCache(model, args.chunk)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    images, tokens = make_batch(args.batch)
    crit = GroupViTLoss()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB, before any step
    times, grad = [], None
    for i in range(args.steps):
        torch.manual_seed(100 + i)  # same noise draws for every setting's step i (in the GradCache order)
        t = time.perf_counter()
        out = fwd(images, tokens)
        loss = crit(out['image_emb'], out['text_emb'], out['prompt_emb'], model.logit_scale, model.multi_label_logit_scale)[0]
        loss.backward()
        if i == 0 and args.check: grad = {n: p.grad.norm().item() for n, p in model.named_parameters() if p.grad is not None}
        opt.step(); opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timed = times[1:] or times  # the first step allocates the optimizer state
    print(json.dumps(dict(chunk=args.chunk, batch=args.batch, base_mib=base, peak_mib=peak, step_s=sum(timed) / len(timed),
                          images_per_s=args.batch * len(timed) / sum(timed), loss=loss.item(), grad_norms=grad)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--chunks', type=int, nargs='+', default=[64, 32, 16], help='chunk sizes to compare with the plain step')
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--check', action='store_true', help="also compare the first step's gradient norms with the plain step's")
    p.add_argument('--chunk', type=int, default=None, help=argparse.SUPPRESS)  # internal: run one setting in this process
    args = p.parse_args()
    if args.chunk is not None: return run_one(args)
    rows = []
    for chunk in [0, *args.chunks]:
        cmd = [sys.executable, __file__, '--chunk', str(chunk), '--batch', str(args.batch), '--steps', str(args.steps),
               '--threads', str(args.threads)] + (['--check'] if args.check else [])
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode: sys.exit(f"setting chunk={chunk} failed:\n{res.stderr[-2000:]}")
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    plain = rows[0]
    noise = 'Gumbel and drop-path off (--check)' if args.check else 'drop-path 0.1, Gumbel on'
    print(f"groupvit_tiny (64², {noise}), batch {args.batch}, K=3 prompts, AdamW, {args.threads} thread(s), CPU")
    print(f"{'setting':>16} | {'peak RSS MiB':>12} | {'Δ over start MiB':>16} | {'s/step':>7} | {'images/s':>8}")
    for r in rows:
        name = 'plain full batch' if r['chunk'] == 0 else f"GradCache {r['chunk']}"
        print(f"{name:>16} | {r['peak_mib']:12.0f} | {r['peak_mib'] - r['base_mib']:16.0f} | {r['step_s']:7.2f} | {r['images_per_s']:8.1f}")
    if args.check:
        top = max(plain['grad_norms'].values())
        worst = max(abs(r['grad_norms'][n] - plain['grad_norms'][n]) for r in rows[1:] for n in plain['grad_norms']) / top
        print(f"max over parameters of |Δ gradient norm| vs the plain step, relative to the largest norm (float32): {worst:.1e}")


if __name__ == '__main__':
    main()
