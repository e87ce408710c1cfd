"""SIGTERM (a scheduler's pre-emption) and SIGINT (Ctrl-C) during `groupvit_train`: the run saves a checkpoint after
the step it is in, exits cleanly with one line and status 128 + signal (143, 130), leaves no temp file, and
`--resume` continues it to the very weights of the same run left alone (max |difference| ≤ 1e-6). The runs send the
signal to themselves right after a given step (`_train_signal_worker.py`), so nothing depends on the machine's speed."""
import csv, os, signal, subprocess, sys
from pathlib import Path

import pytest
import torch

from groupvit_nb.core import GroupViT
from groupvit_nb.train import load_checkpoint, main

WORKER = Path(__file__).with_name('_train_signal_worker.py')
STEPS_PER_EPOCH = 4
ARGS = ['--data', 'synthetic', '--preset', 'tiny', '--n-train', str(8 * STEPS_PER_EPOCH), '--n-valid', '8', '--batch', '8',
        '--epochs', '2', '--warmup-epochs', '0.5', '--context-length', '16', '--num-workers', '0', '--save-every', '100',
        '--no-progress', '--collapse-every', '0', '--seed', '2']


def _env(): return dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONWARNINGS='ignore')


def _run(*cmd): return subprocess.run([sys.executable, *map(str, cmd)], env=_env(), capture_output=True, text=True, timeout=300)


def _rows(path):
    with path.open() as f: return list(csv.DictReader(f))


@pytest.fixture(scope='module')
def full(tmp_path_factory):
    "The run left alone (in this process, on one thread as the subprocesses)."
    out = tmp_path_factory.mktemp('signals') / 'full'
    threads = torch.get_num_threads(); torch.set_num_threads(1)
    try: main(ARGS + ['--out', str(out)])
    finally: torch.set_num_threads(threads)
    return GroupViT.from_pretrained(out / 'final.pth').state_dict()


def _interrupted(out, name, code, step):
    "Run until `name` arrives after `step`: status, one clean line, checkpoint and log of that step, no debris."
    r = _run(WORKER, name, step, *ARGS, '--out', out)
    assert r.returncode == code, r.stderr[-2000:]
    last = r.stderr.strip().splitlines()[-1]
    assert last == (f"groupvit_train: stopped by {name} after step {step}; {out / 'checkpoints' / 'last.pth'} holds that "
                    "step: continue with --resume."), r.stderr[-2000:]
    assert 'Traceback' not in r.stderr
    ck = load_checkpoint(out / 'checkpoints' / 'last.pth')
    assert (ck['epoch'], ck['iter'], ck['train_iter']) == divmod(step, STEPS_PER_EPOCH) + (step,)
    assert [int(x['step']) for x in _rows(out / 'steps.csv')] == list(range(1, step + 1))  # log and checkpoint agree
    assert not (out / 'final.pth').exists() and not list(out.rglob('*.tmp*'))


def test_sigint(tmp_path): _interrupted(tmp_path / 'run', 'SIGINT', 130, 3)


def test_sigterm_then_resume(full, tmp_path):
    out, step = tmp_path / 'run', STEPS_PER_EPOCH + 2  # in the middle of the second epoch, far from any periodic checkpoint
    _interrupted(out, 'SIGTERM', 143, step)
    r = _run('-m', 'groupvit_nb.train', *ARGS, '--out', out, '--resume')
    assert r.returncode == 0, r.stderr[-2000:]
    assert [int(x['step']) for x in _rows(out / 'steps.csv')] == list(range(1, 2 * STEPS_PER_EPOCH + 1))
    resumed = GroupViT.from_pretrained(out / 'final.pth').state_dict()
    diff = max((full[k].float() - resumed[k].float()).abs().max().item() for k in full)
    assert diff <= 1e-6, f'max |resumed - uninterrupted| = {diff}'
