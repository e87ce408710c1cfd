"""`groupvit_train`: --help, one-line errors for bad input (exit 2, before any training), and a tiny end-to-end run
from a YAML config with a flag overriding it — CSV logs, plot, checkpoint and a final model that
`GroupViT.from_pretrained` loads."""
import csv, subprocess, sys

import pytest
import torch

from groupvit_nb.core import GroupViT
from groupvit_nb.train import main, load_checkpoint


def _error(argv, capsys):
    with pytest.raises(SystemExit) as e: main(argv)
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2, err
    assert err.count('\n') == 0 and err.startswith('groupvit_train: error:'), err  # one line
    return err


def test_help():
    r = subprocess.run([sys.executable, '-m', 'groupvit_nb.train', '--help'], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0
    for flag in ('--config', '--data', '--preset', '--batch', '--epochs', '--num-prompts', '--templates', '--precision', '--out', '--resume'):
        assert flag in r.stdout, flag


def test_errors(tmp_path, capsys):
    out = ['--out', str(tmp_path / 'out')]
    assert 'does not exist' in _error(['--data', str(tmp_path / 'missing.csv'), *out], capsys)
    assert 'shard(s) do not exist' in _error(['--data', str(tmp_path / 'shards-{000..003}.tar'), *out], capsys)
    (tmp_path / 'empty.csv').write_text('image,caption\n')
    assert 'holds no image–caption pairs' in _error(['--data', str(tmp_path / 'empty.csv'), *out], capsys)
    assert 'larger than the 10 training pairs' in _error(['--data', 'synthetic', '--n-train', '10', '--batch', '16', *out], capsys)
    assert '--data is required' in _error(out, capsys)
    if not torch.cuda.is_available():
        assert 'no CUDA GPU' in _error(['--data', 'synthetic', '--device', 'cuda', *out], capsys)
        assert 'needs a CUDA GPU' in _error(['--data', 'synthetic', '--precision', 'bf16', *out], capsys)
    (tmp_path / 'bad.yaml').write_text('batchsize: 3\n')
    assert "unknown option(s) ['batchsize']" in _error(['--config', str(tmp_path / 'bad.yaml'), *out], capsys)
    assert not (tmp_path / 'out' / 'steps.csv').exists()


def test_tiny_run_from_config(tmp_path):
    cfg = tmp_path / 'tiny.yaml'
    cfg.write_text('data: synthetic\npreset: tiny\nn-train: 24\nn_valid: 16\nbatch: 8\nepochs: 5\nwarmup_epochs: 0.5\n'
                   'context_length: 16\nnum_workers: 0\nno_progress: true\nsave_every: 2\n')
    out = tmp_path / 'run'
    main(['--config', str(cfg), '--epochs', '2', '--out', str(out)])  # the flag wins over the file's 5 epochs
    steps = list(csv.DictReader((out / 'steps.csv').open()))
    assert [int(r['step']) for r in steps] == list(range(1, 7))  # 2 epochs × 24/8 steps
    assert {'loss', 'contrastive', 'multi_label', 'lr', 'inv_tau', 'inv_tau_multi_label'} <= set(steps[0])
    epochs = list(csv.DictReader((out / 'epochs.csv').open()))
    assert len(epochs) == 2 and {'valid_loss', 'i2t_top1', 't2i_top1'} <= set(epochs[0])
    assert all(0 <= float(r['i2t_top1']) <= 1 for r in epochs)
    assert (out / 'train.png').stat().st_size > 1000
    assert 'epochs: 2' in (out / 'config.yaml').read_text()
    ck = load_checkpoint(out / 'checkpoints' / 'last.pth')
    assert (ck['epoch'], ck['iter'], ck['train_iter']) == (2, 0, 6)
    model = GroupViT.from_pretrained(out / 'final.pth')
    assert model.cfg.embed_dim == 128 and model.cfg.img_size == 64
    sd = model.state_dict()
    assert all(torch.equal(sd[k], ck['model'][k]) for k in sd)
    # the checkpoint is also a model file
    assert GroupViT.from_pretrained(out / 'checkpoints' / 'last.pth').cfg.depths == model.cfg.depths
