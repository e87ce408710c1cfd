"""Bad training inputs of `groupvit_train`, one case each: every one ends with exit status 2 and one line on stderr that
says what was wrong, before anything is trained or written (the output folder is not even created)."""
import pytest
import torch

from groupvit_nb.train import main

TINY = ['--data', 'synthetic', '--preset', 'tiny', '--n-train', '16', '--n-valid', '8', '--batch', '8', '--epochs', '1',
        '--warmup-epochs', '0.5', '--context-length', '16', '--num-workers', '0', '--no-progress', '--collapse-every', '0']

CASES = [  # (flags, what the one line must say)
    (['--lr', '-1'], '--lr must be positive, got -1.0'),
    (['--lr', '0'], '--lr must be positive, got 0.0'),
    (['--lr', 'nan'], '--lr must be a finite number, got nan'),
    (['--lr', 'inf'], '--lr must be a finite number, got inf'),
    (['--warmup-lr=-1e-3'], '--warmup-lr must be >= 0'),
    (['--min-lr', 'nan'], '--min-lr must be a finite number'),
    (['--wd', '-0.05'], '--wd must be >= 0'),
    (['--grad-clip', 'nan'], '--grad-clip must be a finite number'),
    (['--grad-clip', '-5'], '--grad-clip must be >= 0'),
    (['--drop-path', '1'], '--drop-path must be in [0, 1)'),
    (['--multi-label-weight', '-1'], '--multi-label-weight must be >= 0'),
    (['--warmup-epochs', 'nan'], '--warmup-epochs must be a finite number'),
    (['--warmup-epochs', '1'], '--warmup-epochs 1.0 must be in [0, --epochs 1)'),
    (['--minutes', 'nan'], '--minutes must be a finite number'),
    (['--minutes', '-1'], '--minutes must be positive'),
    (['--max-skip', '1.5'], '--max-skip must be a fraction in [0, 1]'),
    (['--max-skip', '-0.1'], '--max-skip must be a fraction in [0, 1]'),
    (['--epochs', '0'], '--epochs must be at least 1'),
    (['--batch', '0'], '--batch must be at least 1'),
    (['--num-prompts', '-1'], '--num-prompts must be >= 0'),
    (['--save-every', '-1'], '--save-every must be 0'),
    (['--epoch-length', '0'], '--epoch-length must be at least 1'),
    (['--num-workers', '-2'], '--num-workers must be >= 0'),
    (['--image-size', '0'], '--image-size must be a positive multiple of the patch size 8, got 0'),
    (['--image-size', '-64'], '--image-size must be a positive multiple of the patch size 8'),
    (['--image-size', '60'], '--image-size must be a positive multiple of the patch size 8, got 60'),
    (['--image-size', '48', '--arch', '{patch_size: 5}'], 'multiple of the patch size 5'),
    (['--crop-scale', '0'], '--crop-scale must be in (0, 1]'),
    (['--erase', '2'], '--erase must be a probability'),
    (['--context-length', '78'], '--context-length must be between 1 and 77'),
    (['--device', 'tpu'], "invalid choice: 'tpu'"),
    (['--precision', 'fp8'], "invalid choice: 'fp8'"),
    (['--resume', '--overwrite'], '--resume continues the run in --out and --overwrite replaces it'),
    (['--freeze', 'text,text_head,image,image_head,scales'], 'leaves no parameter to train'),
    (['--freeze', 'wings'], "unknown part(s) ['wings']"),
    (['--lr', 'fast'], "argument --lr: invalid float value: 'fast'"),
]
if not torch.cuda.is_available():
    CASES += [(['--device', 'cuda'], 'no CUDA GPU is visible'), (['--precision', 'fp16'], 'needs a CUDA GPU')]


def _one_line_error(argv, capsys):
    with pytest.raises(SystemExit) as e: main(argv)
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2, err
    assert err.count('\n') == 0 and err.startswith('groupvit_train: error:'), err
    return err


@pytest.mark.parametrize('flags,says', CASES, ids=[' '.join(f) for f, _ in CASES])
def test_bad_flag(flags, says, tmp_path, capsys):
    out = tmp_path / 'run'
    assert says in _one_line_error(TINY + flags + ['--out', str(out)], capsys)
    assert not out.exists()  # nothing written, no folder left behind


CONFIGS = [  # values from a --config file skip argparse's conversion: they are checked too (keys not among TINY's flags)
    ('lr: [1]\n', '--lr must be a number, got [1]'),
    ('save_every: 2.5\n', '--save-every must be an integer, got 2.5'),
    ('seed: true\n', '--seed must be an integer, got True'),
    ('lr: .nan\n', '--lr must be a finite number'),
    ('device: tpu\n', "--device must be one of ['auto', 'cpu', 'cuda'], got 'tpu'"),
    ('resume: 3\n', '--resume must be text (a path or a name), got 3.'),       # was: expected str, bytes or os.PathLike
    ('init: [a.pth]\n', "--init must be text (a path or a name), got ['a.pth']."),
]


@pytest.mark.parametrize('text,says', CONFIGS, ids=[t.strip() for t, _ in CONFIGS])
def test_bad_config_value(text, says, tmp_path, capsys):
    (tmp_path / 'c.yaml').write_text(text)
    out = tmp_path / 'run'
    assert says in _one_line_error(TINY + ['--config', str(tmp_path / 'c.yaml'), '--out', str(out)], capsys)
    assert not out.exists()


@pytest.mark.parametrize('text,says', [
    ('data: 5\n', "--data must be text (a path or a name), got 5: 'synthetic', a table file"),
    ('data: [a.csv, b.csv]\n', "--data must be text (a path or a name), got ['a.csv', 'b.csv']"),
], ids=['data: 5', 'data: a list'])
def test_bad_data_in_a_config(text, says, tmp_path, capsys):
    (tmp_path / 'c.yaml').write_text(text)
    flags = [f for f in TINY if f not in ('--data', 'synthetic')]
    out = tmp_path / 'run'
    assert says in _one_line_error(flags + ['--config', str(tmp_path / 'c.yaml'), '--out', str(out)], capsys)
    assert not out.exists()


def test_resume_true_in_a_config_is_resume():
    "YAML's `resume: true` means --resume (the run in --out), as the flag alone does."
    import tempfile
    from pathlib import Path
    from groupvit_nb.train import parse_train_args
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / 'c.yaml').write_text('resume: true\n')
        assert parse_train_args(TINY + ['--config', str(Path(d) / 'c.yaml')]).resume == 'auto'
        (Path(d) / 'c.yaml').write_text('resume: false\n')
        assert parse_train_args(TINY + ['--config', str(Path(d) / 'c.yaml')]).resume is None


def test_only_rank_0_reports_bad_input(tmp_path, capsys, monkeypatch):
    "Under torchrun --nproc_per_node 8 a bad --data was reported 8 times: the other ranks exit with status 2, quietly."
    out = tmp_path / 'run'
    argv = TINY[2:] + ['--data', str(tmp_path / 'missing.csv'), '--out', str(out)]
    assert 'missing.csv' in _one_line_error(argv, capsys)                   # rank 0 (or no launcher): one line
    monkeypatch.setenv('RANK', '3')
    with pytest.raises(SystemExit) as e: main(argv)
    assert e.value.code == 2 and capsys.readouterr().err == ''
