"""`groupvit_train`: --help, one-line errors for bad input (exit 2, before any training), and a tiny end-to-end run
from a YAML config with a flag overriding it — CSV logs, plot, checkpoint and a final model that
`GroupViT.from_pretrained` loads. Then the options for paper-size batches and fine-tuning: gradient caching (`--chunk`), the seed in every
checkpoint and log, identical weights for identical seeds, fine-tuning (`--init`, `--freeze`)."""
import csv, json, subprocess, sys

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
    for flag in ('--config', '--data', '--preset', '--batch', '--chunk', '--epochs', '--num-prompts',
                 '--templates', '--augment', '--crop-scale', '--precision', '--out', '--resume', '--init', '--freeze',
                 '--collapse-every', '--seed', '--overwrite', '--max-skip'):
        assert flag in r.stdout, flag
    assert "'image'" in r.stdout and "'caption'" in r.stdout  # the accepted table columns
    assert 'Exit status: 0 trained' in ' '.join(r.stdout.split())


def test_every_option_has_help_and_its_default():
    import argparse
    from groupvit_nb.train import train_parser
    p = train_parser()
    fmt = p._get_formatter()
    for a in p._actions:
        if isinstance(a, argparse._HelpAction) or a.help == argparse.SUPPRESS: continue  # a former name is hidden
        assert a.help, a.option_strings
        if not isinstance(a, argparse._StoreTrueAction):  # a switch is off unless given
            h = fmt._get_help_string(a) % dict(default=a.default)
            assert 'default' in h or 'required' in h, (a.option_strings, h)
    text = ' '.join(p.format_help().split())
    assert 'max gradient norm (0: off) (default: 5.0)' in text and '(0: the paper) (default: 0.0)' in text


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
        assert 'needs a CUDA GPU' in _error(['--data', 'synthetic', '--precision', 'fp16', *out], capsys)
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
    # what it was taught: the nouns of its prompts, counted, beside final.pth and in it
    vocab = json.loads((out / 'vocabulary.json').read_text())
    assert model.vocabulary == vocab and set(vocab) & {'circle', 'square', 'triangle'}, vocab
    assert 2 * 24 <= sum(vocab.values()) <= 2 * 24 * 3                # 2 epochs of 24 captions, 1 to K = 3 prompts each
    assert GroupViT.from_pretrained(out / 'checkpoints' / 'last.pth').vocabulary == vocab


TINY = ['--data', 'synthetic', '--preset', 'tiny', '--n-train', '16', '--n-valid', '8', '--batch', '8', '--epochs', '1',
        '--warmup-epochs', '0.5', '--context-length', '16', '--num-workers', '0', '--no-progress']


def _weights(folder):
    return torch.load(folder / 'final.pth', weights_only=True)['model']


@pytest.fixture(scope='module')
def chunked_run(tmp_path_factory):
    "A tiny run with gradient caching (batch 8 in chunks of 4), the collapse probe every step and seed 3."
    out = tmp_path_factory.mktemp('chunked') / 'run'
    main(TINY + ['--chunk', '4', '--collapse-every', '1', '--seed', '3', '--out', str(out)])
    return out


def test_chunk_run_and_seed_everywhere(chunked_run):
    out = chunked_run
    assert len(list(csv.DictReader((out / 'steps.csv').open()))) == 2
    assert load_checkpoint(out / 'checkpoints' / 'last.pth')['meta']['seed'] == 3
    assert torch.load(out / 'final.pth', weights_only=True)['meta']['seed'] == 3
    info = json.loads((out / 'run.json').read_text())
    assert (info['seed'], info['chunk'], info['init']) == (3, 4, None)
    groups = list(csv.DictReader((out / 'groups.csv').open()))
    assert [(r['step'], r['stage']) for r in groups] == [('1', '1'), ('1', '2'), ('2', '1'), ('2', '2')]
    assert all(1 <= float(r['groups_used']) <= int(r['n_groups']) for r in groups)
    GroupViT.from_pretrained(out / 'final.pth')  # the extra 'meta' key does not get in the way


def test_same_seed_same_weights(tmp_path):
    runs = {}
    for name, seed in (('a', '5'), ('b', '5'), ('c', '6')):
        main(TINY + ['--seed', seed, '--out', str(tmp_path / name)])
        runs[name] = _weights(tmp_path / name)
    a, b, c = runs['a'], runs['b'], runs['c']
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_init_and_freeze(chunked_run, tmp_path):
    out = tmp_path / 'ft'
    main(TINY + ['--init', str(chunked_run / 'final.pth'), '--freeze', 'text,text_head', '--out', str(out)])
    before, after = _weights(chunked_run), _weights(out)
    frozen = [k for k in before if k.startswith(('text_encoder.', 'text_projector.'))]
    assert len(frozen) > 20 and any('running_mean' in k for k in frozen)
    assert all(torch.equal(before[k], after[k]) for k in frozen)  # weights and BatchNorm statistics
    image = [k for k in before if k.startswith('img_encoder.') and before[k].is_floating_point()]
    assert sum(not torch.equal(before[k], after[k]) for k in image) > len(image) // 2
    # the lower fine-tuning learning rate: a tenth of the recipe's for batch 8 (the peak is reached at the second step)
    lrs = [float(r['lr']) for r in csv.DictReader((out / 'steps.csv').open())]
    assert max(lrs) == pytest.approx(0.1 * 1.6e-3 * 8 / 4096, rel=1e-3)
    assert json.loads((out / 'run.json').read_text())['init'] == str(chunked_run / 'final.pth')


def test_option_errors(chunked_run, tmp_path, capsys):
    out = ['--out', str(tmp_path / 'out')]
    assert '--chunk must be a positive number' in _error(TINY + ['--chunk', '0', *out], capsys)
    assert '--compile with --chunk is not supported' in _error(TINY + ['--chunk', '4', '--compile', *out], capsys)
    err = _error(TINY + ['--preset', 's16', '--init', str(chunked_run / 'final.pth'), *out], capsys)
    assert 'another architecture' in err
    assert "unknown part(s) ['wings']" in _error(TINY + ['--freeze', 'text,wings', *out], capsys)
    assert 'no checkpoint at' in _error(TINY + ['--init', str(tmp_path / 'missing.pth'), *out], capsys)
    assert not (tmp_path / 'out' / 'steps.csv').exists()
