"""Crash-safe resume of `groupvit_train`: a tiny-model CPU run killed with SIGKILL in the middle of an epoch and then
resumed with `--resume` ends with the same weights as the same run left alone — max |difference| ≤ 1e-6 over all
tensors (the runs are deterministic on CPU: seeded Gumbel noise, one thread, no data workers; in practice the
difference is exactly 0). The run kills itself right after step 9 (`_train_signal_worker.py`), so the test does not
depend on the machine's speed. A half-written checkpoint is never loaded: a stray temp file next to `last.pth` is
removed, and a cut `last.pth` is refused with a one-line error."""
import csv, os, signal, subprocess, sys
from pathlib import Path

import pytest
import torch

from groupvit_nb.core import GroupViT
from groupvit_nb.train import load_checkpoint

STEPS_PER_EPOCH, EPOCHS = 6, 3
ARGS = ['--data', 'synthetic', '--preset', 'tiny', '--n-train', str(8 * STEPS_PER_EPOCH), '--n-valid', '16', '--batch', '8',
        '--epochs', str(EPOCHS), '--warmup-epochs', '0.5', '--context-length', '16', '--num-workers', '0', '--save-every', '4',
        '--no-progress', '--seed', '3', '--collapse-every', '3']
TOL = 1e-6


def _env():
    return dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONWARNINGS='ignore')


WORKER = Path(__file__).with_name('_train_signal_worker.py')


def _cmd(out, *extra): return [sys.executable, '-m', 'groupvit_nb.train', *ARGS, '--out', str(out), *extra]


def _rows(path):
    if not path.exists(): return []
    with path.open() as f: return list(csv.DictReader(f))


def _weights(path): return GroupViT.from_pretrained(path).state_dict()


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('resume')
    full = subprocess.Popen(_cmd(tmp / 'full'), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kill_after = STEPS_PER_EPOCH + 3  # three steps into the second epoch: after the every-4-steps checkpoint of step 8
    killed = subprocess.run([sys.executable, str(WORKER), 'SIGKILL', str(kill_after), *ARGS, '--out', str(tmp / 'killed')],
                            env=_env(), capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert not (tmp / 'killed' / 'final.pth').exists()
    at_kill = load_checkpoint(tmp / 'killed' / 'checkpoints' / 'last.pth')
    ck = tmp / 'killed' / 'checkpoints'
    # what a process killed while writing leaves behind: a cut temp file, which resume must not read
    (ck / '.last.pth.tmp99999').write_bytes((ck / 'last.pth').read_bytes()[:1000])
    logged_at_kill = len(_rows(tmp / 'killed' / 'steps.csv'))
    resumed = subprocess.run(_cmd(tmp / 'killed', '--resume'), env=_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not (ck / '.last.pth.tmp99999').exists()  # removed at start
    out, _ = full.communicate(timeout=300)
    assert full.returncode == 0, out[-2000:]
    return tmp, at_kill, logged_at_kill


def test_killed_mid_epoch(runs):
    _, at_kill, logged = runs
    assert 0 < at_kill['iter'] < STEPS_PER_EPOCH, f"checkpoint at epoch {at_kill['epoch']} batch {at_kill['iter']}: not mid-epoch"
    assert (at_kill['train_iter'], logged) == (8, STEPS_PER_EPOCH + 3)  # steps 9 was logged, then lost with the kill and redone


def test_resumed_equals_uninterrupted(runs):
    tmp, at_kill, _ = runs
    full, resumed = _weights(tmp / 'full' / 'final.pth'), _weights(tmp / 'killed' / 'final.pth')
    assert full.keys() == resumed.keys()
    diff = max((full[k].float() - resumed[k].float()).abs().max().item() for k in full)
    assert diff <= TOL, f'max |resumed - uninterrupted| = {diff}'
    moved = max((full[k].float() - at_kill['model'][k].float()).abs().max().item() for k in full)
    assert moved > 1e-3  # training went on after the checkpoint: the equality is not trivial


def test_log_and_schedule_continue(runs):
    tmp, _, _ = runs
    full, resumed = _rows(tmp / 'full' / 'steps.csv'), _rows(tmp / 'killed' / 'steps.csv')
    assert [int(r['step']) for r in resumed] == list(range(1, EPOCHS * STEPS_PER_EPOCH + 1))  # no step twice, none missing
    assert [r['lr'] for r in resumed] == [r['lr'] for r in full]
    assert [r['loss'] for r in resumed] == [r['loss'] for r in full]
    assert [r['epoch'] for r in _rows(tmp / 'killed' / 'epochs.csv')] == [str(e) for e in range(EPOCHS)]
    probes = [(r['step'], r['stage']) for r in _rows(tmp / 'killed' / 'groups.csv')]  # the collapse probe's log too
    assert probes == [(r['step'], r['stage']) for r in _rows(tmp / 'full' / 'groups.csv')]
    assert [int(s) for s, _ in probes[::2]] == list(range(3, EPOCHS * STEPS_PER_EPOCH + 1, 3))


def test_cut_checkpoint_is_refused(runs, tmp_path):
    tmp, _, _ = runs
    ck = tmp_path / 'run' / 'checkpoints'
    ck.mkdir(parents=True)
    (ck / 'last.pth').write_bytes((tmp / 'full' / 'checkpoints' / 'last.pth').read_bytes()[:5000])
    r = subprocess.run(_cmd(tmp_path / 'run', '--resume'), env=_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    err = r.stderr.strip().splitlines()[-1]
    assert err.startswith('groupvit_train: error:') and 'not a complete checkpoint' in err, r.stderr[-500:]
