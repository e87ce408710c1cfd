"""Eq. 6–8 across processes: two CPU processes (gloo), each holding half of a batch and a small module wrapped in
DistributedDataParallel, must reproduce one process holding the whole batch: the mean of the two local losses equals
the full-batch loss, and each process's DDP-averaged parameter gradients equal the full-batch gradients (≤ 1e-5).
Why the mean, and why no extra scaling: see "Across processes" in nbs/08_losses.ipynb."""
import os

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn

from groupvit_nb.losses import LOGIT_SCALE_INIT, GroupViTLoss, gather_features, rank_and_world
from conftest import run_ranks

B, K, D_IN, D = 8, 3, 10, 6
WORLD = 2
# (multi_label_weight, same_prompt_positive): the paper's setting, and the option with prompts shared across halves
CONFIGS = [(1.0, False), (0.5, True)]


class Toy(nn.Module):
    "Stand-in for GroupViT: two small encoders and the two raw logit scales, all returned by forward."
    def __init__(self):
        super().__init__()
        self.img = nn.Sequential(nn.Linear(D_IN, 16), nn.Tanh(), nn.Linear(16, D))
        self.txt = nn.Sequential(nn.Linear(D_IN, 16), nn.Tanh(), nn.Linear(16, D))
        self.logit_scale = nn.Parameter(torch.tensor(LOGIT_SCALE_INIT))
        self.multi_label_logit_scale = nn.Parameter(torch.tensor(LOGIT_SCALE_INIT) - 0.5)

    def forward(self, images, texts, prompts):
        return self.img(images), self.txt(texts), self.txt(prompts), self.logit_scale, self.multi_label_logit_scale


def make_model_and_batch():
    torch.manual_seed(0)
    model = Toy()
    g = torch.Generator().manual_seed(1)
    images, texts = torch.randn(B, D_IN, generator=g), torch.randn(B, D_IN, generator=g)
    prompts = torch.randn(B, K, D_IN, generator=g)
    ids = torch.randint(0, 6, (B, K), generator=g)  # 6 "nouns" for 24 prompts: many repeats, across both halves
    ids[0, 0] = ids[B - 1, 2]  # at least one prompt shared by the two processes' halves
    prompts[0, 0] = prompts[B - 1, 2]  # identical ids mean identical prompts
    return model, (images, texts, prompts, ids)


def step(model, batch, weight, same_prompt_positive):
    "Loss and parameter gradients of one forward/backward; `model` may be DDP-wrapped."
    images, texts, prompts, ids = batch
    model.zero_grad(set_to_none=True)
    loss, _ = GroupViTLoss(multi_label_weight=weight, same_prompt_positive=same_prompt_positive)(
        *model(images, texts, prompts), prompt_ids=ids if same_prompt_positive else None)
    loss.backward()
    inner = model.module if hasattr(model, 'module') else model
    return loss.detach(), {n: p.grad.detach().clone() for n, p in inner.named_parameters()}


def _worker(rank, init_file, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=WORLD)
    try:
        assert rank_and_world() == (rank, WORLD)
        model, batch = make_model_and_batch()
        ddp = nn.parallel.DistributedDataParallel(model)
        half = slice(rank * B // WORLD, (rank + 1) * B // WORLD)
        local = tuple(t[half] for t in batch)
        results = [step(ddp, local, w, opt) for w, opt in CONFIGS]
        try:  # unequal shards (drop_last=False): every process gets the same clear error, none hangs
            gather_features(torch.zeros(3 + rank, D))
            results.append(None)
        except ValueError as e:
            results.append(str(e))
        torch.save(results, os.path.join(out_dir, f'rank{rank}.pt'))
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope='module')
def ranks(tmp_path_factory):
    return run_ranks(_worker, WORLD, tmp_path_factory.mktemp('gloo'))


@pytest.mark.parametrize('cfg', range(len(CONFIGS)))
def test_two_processes_match_one_process(ranks, cfg):
    assert not (dist.is_available() and dist.is_initialized())  # the reference really is world size 1
    model, batch = make_model_and_batch()
    ref_loss, ref_grads = step(model, batch, *CONFIGS[cfg])
    local_losses = torch.stack([ranks[r][cfg][0] for r in range(WORLD)])
    # each half's loss is its own number; their mean is the full-batch loss
    assert (local_losses - ref_loss).abs().max() > 1e-3
    torch.testing.assert_close(local_losses.mean(), ref_loss, atol=1e-5, rtol=0)
    for r in range(WORLD):
        grads = ranks[r][cfg][1]
        assert grads.keys() == ref_grads.keys()
        for name, g in ref_grads.items():
            assert g.abs().max() > 0, name  # every parameter, both logit scales included, takes part
            torch.testing.assert_close(grads[name], g, atol=1e-5, rtol=0, msg=lambda m: f'rank {r}, {name}: {m}')


def test_option_changes_the_distributed_loss(ranks):
    "The shared prompts really make same_prompt_positive matter, so the second config tests the id gathering."
    model, batch = make_model_and_batch()
    on, _ = step(model, batch, 0.5, True)
    off, _ = step(model, batch, 0.5, False)
    assert (on - off).abs() > 1e-3


def test_unequal_shards_raise_on_every_process(ranks):
    for r in range(WORLD):
        assert ranks[r][-1] is not None and 'drop_last=True' in ranks[r][-1], ranks[r][-1]
