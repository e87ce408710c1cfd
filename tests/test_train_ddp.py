"""Data-parallel training with 2 CPU processes (gloo) launched by torchrun through `groupvit_train`'s setup: the two
processes see different batches, train inside DistributedDataParallel, and end with identical weights (exactly:
DDP averages the gradients and every process takes the same AdamW step) that differ from the initial ones. On a table
with too many unusable images, both processes stop after the same step with the same reason (the counts are summed
over the processes), and the process group ends without hanging."""
import csv, os, subprocess, sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

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


def test_too_many_unusable_samples_stop_every_process(tmp_path):
    rng = np.random.default_rng(0)
    with open(tmp_path / 'pairs.csv', 'w', newline='') as f:
        w = csv.writer(f); w.writerow(['image', 'caption'])
        for i in range(32):  # every fourth image is missing: a quarter of what each process reads
            if i % 4: Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / f'{i}.png')
            w.writerow([f'{i}.png', f'a photo of a blue square number {i}'])
    out = tmp_path / 'run'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', '29532',
                        str(WORKER), str(out), str(tmp_path / 'pairs.csv')], env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    a, b = (torch.load(out / f'stopped{i}.pt', weights_only=True) for i in range(2))
    assert a['stopped'] is not None and 'were unusable' in a['stopped'], a
    same = lambda m: m.split(')')[0]  # the counts and the fraction (only a process that met a bad file can name one)
    assert a['step'] == b['step'] and b['stopped'] is not None and same(b['stopped']) == same(a['stopped'])
