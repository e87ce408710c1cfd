"""What `groupvit_train` does when something goes wrong while it runs, and with the output folder: it never loses a
previous run and never ends "successfully" with garbage. Runtime failures exit with status 1 and one line, keep the
last good checkpoint and leave no temp files; the folder of a run is refused unless --resume or --overwrite is given,
and a folder in use by another run is refused; --resume with other settings is refused with the differences; the
logit scales are capped inside the loss only, not clamped."""
import csv, errno, warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import groupvit_nb.train as train
import groupvit_nb.runs as runs
from groupvit_nb.train import main, load_checkpoint, lock_folder, LOCK_FILE

TINY = ['--data', 'synthetic', '--preset', 'tiny', '--n-train', '16', '--n-valid', '8', '--batch', '8', '--epochs', '1',
        '--warmup-epochs', '0.5', '--context-length', '16', '--num-workers', '0', '--no-progress', '--collapse-every', '0']


def _fails(argv, capsys, code):
    with pytest.raises(SystemExit) as e: main(argv)
    err = capsys.readouterr().err.strip()
    assert e.value.code == code, err
    assert err.count('\n') == 0 and err.startswith('groupvit_train: error:'), err
    return err


def _leftovers(folder): return sorted(p.name for p in Path(folder).rglob('*.tmp*'))


def _rows(path):
    with open(path) as f: return list(csv.DictReader(f))


def _table(folder, n=16, missing=()):
    "A CSV of `n` random 32² images with captions; rows in `missing` name files that do not exist."
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    with open(folder / 'pairs.csv', 'w', newline='') as f:
        w = csv.writer(f); w.writerow(['image', 'caption'])
        for i in range(n):
            if i not in missing: Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(folder / f'{i}.png')
            w.writerow([f'{i}.png', f'a photo of a red circle number {i}'])
    return folder / 'pairs.csv'


TABLE = ['--preset', 'tiny', '--image-size', '32', '--batch', '8', '--epochs', '1', '--warmup-epochs', '0',
         '--context-length', '16', '--num-workers', '0', '--no-progress', '--collapse-every', '0']


@pytest.fixture(scope='module')
def done(tmp_path_factory):
    "A finished tiny run."
    out = tmp_path_factory.mktemp('done') / 'run'
    main(TINY + ['--save-every', '1', '--out', str(out)])
    return out


# --- the output folder ---------------------------------------------------------------------------------------------

def test_existing_run_is_refused_and_kept(done, capsys):
    before = {p: p.read_bytes() for p in done.rglob('*') if p.is_file()}
    err = _fails(TINY + ['--out', str(done)], capsys, 2)
    assert 'already holds a run' in err and 'final.pth' in err and '--resume' in err and '--overwrite' in err
    assert {p: p.read_bytes() for p in done.rglob('*') if p.is_file()} == before  # not one byte changed


def test_overwrite_replaces(done, tmp_path, capsys):
    out = tmp_path / 'run'
    main(TINY + ['--out', str(out), '--seed', '1'])
    (out / 'groups.csv').write_text('step\n1\n')  # a file of the old run that the new one does not write
    main(TINY + ['--out', str(out), '--overwrite', '--epochs', '2'])
    assert [int(r['step']) for r in _rows(out / 'steps.csv')] == [1, 2, 3, 4]  # the new run's log only
    assert not (out / 'groups.csv').exists()
    assert load_checkpoint(out / 'checkpoints' / 'last.pth')['train_iter'] == 4


def test_a_folder_in_use_is_refused(tmp_path, capsys):
    out = tmp_path / 'run'
    held = lock_folder(out)  # as another training process would hold it
    try: err = _fails(TINY + ['--out', str(out)], capsys, 2)
    finally: held.close()
    assert 'is in use by another training run (process' in err
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]  # the refused run wrote nothing
    main(TINY + ['--out', str(out)])  # free again: a stale lock file does not block
    assert (out / 'final.pth').exists()


def test_resume_with_other_settings_is_refused(done, capsys):
    err = _fails(TINY + ['--out', str(done), '--resume', '--n-train', '24', '--seed', '4'], capsys, 2)
    assert '--n-train 16 there, 24 now' in err and '--seed 0 there, 4 now' in err
    (done / 'x.csv').write_text('image,caption\n')         # a table that exists: the checkpoint's settings are what differ
    err = _fails(TINY + ['--out', str(done), '--resume', '--data', str(done / 'x.csv')], capsys, 2)
    assert "--data synthetic there," in err and 'x.csv now' in err
    # settings that do not change the result may change, and a finished run resumes to the same end
    main(TINY + ['--out', str(done), '--resume', '--num-workers', '0', '--save-every', '3', '--no-progress'])
    assert 'nothing is left to train' in capsys.readouterr().out


def test_stale_temp_files_are_removed_at_start(done, capsys):
    stale = [done / 'checkpoints' / '.last.pth.tmp99999', done / '.final.pth.tmp4242']
    for p in stale: p.write_bytes(b'cut short')
    main(TINY + ['--out', str(done), '--resume'])
    assert not any(p.exists() for p in stale)
    assert 'removed 2 temp file(s) left by a killed run' in capsys.readouterr().out


# --- failures while training ---------------------------------------------------------------------------------------

def test_all_samples_unusable(tmp_path, capsys):
    data = _table(tmp_path / 'data', missing=range(16))
    out = tmp_path / 'run'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        err = _fails(TABLE + ['--data', str(data), '--out', str(out), '--max-skip', '1'], capsys, 1)
    assert 'none of the' in err and 'samples read could be used' in err and 'file not found' in err
    assert not (out / 'final.pth').exists()


def test_too_many_unusable(tmp_path, capsys):
    data = _table(tmp_path / 'data', missing=(3, 7, 11, 15))  # a quarter
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        err = _fails(TABLE + ['--data', str(data), '--out', str(tmp_path / 'a')], capsys, 1)
        assert 'were unusable' in err and '> max_skip 5.0%' in err and '--max-skip' in err
        assert not (tmp_path / 'a' / 'final.pth').exists()
        main(TABLE + ['--data', str(data), '--out', str(tmp_path / 'b'), '--max-skip', '0.5'])  # allowed: it trains
    assert (tmp_path / 'b' / 'final.pth').exists()


def test_nonfinite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, capsys, monkeypatch):
    forward = train.PairLoss.forward
    calls = []
    def nan_at_third(self, pred, tokens):
        loss = forward(self, pred, tokens)
        calls.append(1)
        return loss * float('nan') if len(calls) == 3 else loss
    monkeypatch.setattr(train.PairLoss, 'forward', nan_at_third)
    out = tmp_path / 'run'
    err = _fails(TINY + ['--n-train', '32', '--save-every', '1', '--out', str(out)], capsys, 1)
    assert 'step 3: the loss is nan (not finite)' in err
    assert f"{out / 'checkpoints' / 'last.pth'} (step 2) is the last good checkpoint" in err
    ck = load_checkpoint(out / 'checkpoints' / 'last.pth')
    assert ck['train_iter'] == 2 and all(torch.isfinite(v).all() for v in ck['model'].values() if v.is_floating_point())
    assert not (out / 'final.pth').exists() and _leftovers(out) == []


def test_huge_lr_never_ends_in_success(tmp_path, capsys):
    "--lr 1e6: whatever goes first (the loss, the gradient or the weights), the run stops with status 1 and names the step."
    out = tmp_path / 'run'
    err = _fails(TINY + ['--n-train', '64', '--epochs', '2', '--lr', '1e6', '--save-every', '1', '--out', str(out)], capsys, 1)
    assert 'not finite' in err and 'step' in err
    assert not (out / 'final.pth').exists()
    ck = load_checkpoint(out / 'checkpoints' / 'last.pth')
    assert all(torch.isfinite(v).all() for v in ck['model'].values() if v.is_floating_point())


def _full_disk_open(fragment):
    "`open` for files whose name contains `fragment` fails on its writes as on a full disk."
    real = open
    class Full:
        def __init__(self, f): self.f = f
        def write(self, b): raise OSError(errno.ENOSPC, 'No space left on device')
        def __getattr__(self, k): return getattr(self.f, k)
        def __enter__(self): return self
        def __exit__(self, *a): self.f.close()
    def fake(path, mode='r', *a, **k):
        f = real(path, mode, *a, **k)
        return Full(f) if fragment in str(path) and 'w' in mode else f
    return fake


@pytest.mark.parametrize('target', ['last.pth', 'final.pth'])
def test_full_disk(tmp_path, capsys, monkeypatch, target):
    monkeypatch.setattr(runs, 'open', _full_disk_open(f'.{target}.tmp'), raising=False)  # the write inside torch.save (atomic_save)
    out = tmp_path / 'run'
    err = _fails(TINY + ['--save-every', '1', '--out', str(out)], capsys, 1)
    path = out / 'checkpoints' / 'last.pth' if target == 'last.pth' else out / 'final.pth'
    assert f'no space left on the device to write {path}' in err
    assert _leftovers(out) == [] and not (out / 'final.pth').exists()


def test_full_disk_in_torch_save(tmp_path, capsys, monkeypatch):
    def full(obj, f): f.write(b'PK'); raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(torch, 'save', full)
    out = tmp_path / 'run'
    err = _fails(TINY + ['--save-every', '1', '--out', str(out)], capsys, 1)
    assert f"no space left on the device to write {out / 'checkpoints' / 'last.pth'}" in err
    assert _leftovers(out) == []


# --- no validation set, logit scales ----------------------------------------------------------------------------------

def test_no_validation_set_no_warnings_no_empty_panel(tmp_path, capsys):
    data = _table(tmp_path / 'data')
    out = tmp_path / 'run'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        main(TABLE + ['--data', str(data), '--out', str(out), '--epochs', '2'])
    ours = [w for w in caught if issubclass(w.category, UserWarning) and not issubclass(w.category, FutureWarning)]
    assert ours == [], [str(w.message) for w in ours]
    two = Image.open(out / 'train.png').size[0]
    # the same log with retrieval numbers gets a third panel: the plot without them is two panels wide
    with open(out / 'epochs.csv') as f: rows = list(csv.DictReader(f))
    with open(out / 'epochs.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=[*rows[0], 'i2t_top1']); w.writeheader()
        w.writerows(dict(r, i2t_top1='0.5') for r in rows)
    three = Image.open(train.plot_log(out, 'with.png')).size[0]
    assert three == pytest.approx(1.5 * two, rel=0.02)


def test_logit_scales_not_clamped(tmp_path):
    "Official behaviour: exp(scale) is capped at 100 inside the loss only; a scale above log 100 stays where it is."
    from groupvit_nb.core import groupvit_tiny
    from groupvit_nb.losses import temperature_scale
    torch.manual_seed(0)
    model = groupvit_tiny(text_layers=1)
    with torch.no_grad(): model.logit_scale.fill_(5.0); model.multi_label_logit_scale.fill_(4.0)
    learn = train.groupvit_learner(train.synthetic_dataloaders(16, 8, 64, 8, context_length=16), model, metrics=False)
    with learn.no_bar(), learn.no_logging(): train.fit_groupvit(learn, 1, 1e-3, warmup_epochs=0)
    assert model.logit_scale.item() == 5.0                   # above log 100 = 4.605: no gradient, no decay, no clamp
    assert model.multi_label_logit_scale.item() != 4.0      # below the cap it trains
    assert temperature_scale(model.logit_scale).item() == 100.0  # what the loss uses: min(exp(5), 100)
