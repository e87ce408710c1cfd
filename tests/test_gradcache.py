"""Gradient caching across processes: two CPU processes (gloo), each holding half of a batch and a `GradCache` (chunks
of 2) wrapped in DistributedDataParallel(static_graph=True), must reproduce one process holding the whole batch with the
plain model: equal DDP-averaged parameter gradients (float64, ≤ 1e-10), in two consecutive steps (DDP records the
static graph in the first). The projection heads here have no BatchNorm (`proj_layers=1`): on CPU, SyncBatchNorm does
not run, and per-process BatchNorm statistics are by design not the full batch's; on GPUs fastai's DistributedTrainer
turns the heads' BatchNorm into SyncBatchNorm, which sees the global batch.
The memory claim is checked too: the benchmark script, in its own processes, must show a lower peak for GradCache."""
import json, os, subprocess, sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn

from groupvit_nb.losses import GradCache
from conftest import run_ranks
from groupvit_nb.core import groupvit_micro
from groupvit_nb.losses import GroupViTLoss

B, K, CHUNK, WORLD, STEPS = 8, 3, 2, 2, 2
ROOT = Path(__file__).resolve().parents[1]


def make_model_and_batch():
    model = groupvit_micro(0, proj_layers=1, gumbel=False, drop_path_rate=0.).double()   # the tests' model (notebook 04), seed 0
    g = torch.Generator().manual_seed(1)
    images, tokens = torch.randn(B, 3, 64, 64, generator=g, dtype=torch.float64), torch.randint(1, 4000, (B, 1 + K, 77), generator=g)
    lens = torch.randint(4, 14, (B, 1 + K), generator=g)
    for i in range(B):
        for t in range(1 + K): tokens[i, t, lens[i, t]] = 49407; tokens[i, t, lens[i, t] + 1:] = 0
    return model, images, tokens


def step(fwd, inner, images, tokens):
    inner.zero_grad(set_to_none=True)
    out = fwd(images, tokens)
    loss, _ = GroupViTLoss()(out['image_emb'], out['text_emb'], out['prompt_emb'], inner.logit_scale, inner.multi_label_logit_scale)
    loss.backward()
    return {n: p.grad.detach().clone() for n, p in inner.named_parameters()}


def _worker(rank, init_file, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=WORLD)
    try:
        model, images, tokens = make_model_and_batch()
        ddp = nn.parallel.DistributedDataParallel(GradCache(model, CHUNK), static_graph=True)
        half = slice(rank * B // WORLD, (rank + 1) * B // WORLD)
        torch.save([step(ddp, model, images[half], tokens[half]) for _ in range(STEPS)], os.path.join(out_dir, f'rank{rank}.pt'))
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope='module')
def ranks(tmp_path_factory):
    return run_ranks(_worker, WORLD, tmp_path_factory.mktemp('gloo'))


def test_ddp_gradcache_matches_one_full_batch_step(ranks):
    assert not (dist.is_available() and dist.is_initialized())
    model, images, tokens = make_model_and_batch()
    ref = step(model, model, images, tokens)  # one process, whole batch, plain model
    for r in range(WORLD):
        for s in range(STEPS):
            grads = ranks[r][s]
            assert grads.keys() == ref.keys()
            for name, g in ref.items():
                assert g.abs().max() > 0, name
                torch.testing.assert_close(grads[name], g, atol=1e-10, rtol=0, msg=lambda m: f'rank {r} step {s}, {name}: {m}')


def test_local_half_alone_differs(ranks):
    "The halves' own (ungathered) gradients are not the full-batch ones, so the test above really checks the gathering."
    model, images, tokens = make_model_and_batch()
    ref = step(model, model, images, tokens)
    half = step(model, model, images[:B // 2], tokens[:B // 2])
    assert max((ref[n] - half[n]).abs().max().item() for n in ref) > 1e-4


def test_benchmark_gradcache_lowers_peak_memory():
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'gradcache_memory.py'), '--batch', '48', '--chunks', '8',
                          '--steps', '1'], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    rows = {l.split('|')[0].strip(): [float(x) for x in l.split('|')[1:]] for l in res.stdout.splitlines() if l.count('|') == 4 and 'setting' not in l}
    plain, gc = rows['plain full batch'], rows['GradCache 8']
    assert gc[1] < 0.8 * plain[1], res.stdout  # activation memory (Δ over the start) at least 20 % lower
