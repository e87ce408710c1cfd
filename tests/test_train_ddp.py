"""Data-parallel training with 2 CPU processes (gloo) launched by torchrun through `groupvit_train`'s setup: the two
processes see different batches, train inside DistributedDataParallel, and end with identical weights (exactly:
DDP averages the gradients and every process takes the same AdamW step) that differ from the initial ones."""
import os, subprocess, sys
from pathlib import Path

import pytest
import torch

WORKER = Path(__file__).with_name('_train_ddp_worker.py')


@pytest.fixture(scope='module')
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp('ddp')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', '29531',
                        str(WORKER), str(out)], env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return [torch.load(out / f'rank{i}.pt', weights_only=True) for i in range(2)]


def test_two_processes_ddp(ranks):
    assert [r['rank'] for r in ranks] == [0, 1] and all(r['world'] == 2 for r in ranks)
    assert all(r['wrapper'] == 'DistributedDataParallel' for r in ranks)
    # 16 of the 32 pairs per process, batch 8/2 = 4: 4 steps each, on different images
    assert len(ranks[0]['seen']) == len(ranks[1]['seen']) == 4
    assert not set(ranks[0]['seen']) & set(ranks[1]['seen'])


def test_replicas_hold_identical_weights(ranks):
    a, b = ranks[0]['final'], ranks[1]['final']
    assert a.keys() == b.keys()
    for k in a: assert torch.equal(a[k], b[k]), k
    moved = max((a[k].float() - ranks[0]['initial'][k].float()).abs().max().item() for k in a)
    assert moved > 1e-4
    for k in ranks[0]['initial']: assert torch.equal(ranks[0]['initial'][k], ranks[1]['initial'][k]), k
