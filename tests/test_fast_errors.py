"""Mistakes that need no model are answered at the speed of `--help`: each command refuses them with exit status 2 and
one line on stderr before it imports torch, and leaves nothing behind (no empty output folder). Each case runs in a
fresh process that reports whether torch, fastai or numpy were imported; the time bound is generous (the real
figures: `python benchmarks/error_speed.py`)."""
import subprocess, sys, time
from pathlib import Path
import pytest

PROBE = """
import sys
from groupvit_nb import cli
try: getattr(cli, sys.argv[1] + '_main')(sys.argv[2:]); code = 0
except SystemExit as e: code = e.code
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'fastai', 'numpy', 'transformers', 'gradio'})
print(code, ','.join(heavy) or '-')
"""


@pytest.fixture(scope='module')
def here(tmp_path_factory):
    "A folder with a photo, a table, a dataset root, a saved-looking model folder, an earlier run and earlier outputs."
    d = tmp_path_factory.mktemp('fast')
    (d / 'photo.jpg').write_bytes(b'\xff\xd8 not decoded by the early checks')
    (d / 'pairs.csv').write_text('image,caption\n')
    (d / 'voc').mkdir(); (d / 'model').mkdir(); (d / 'model' / 'config.json').write_text('{}')
    (d / 'empty_model').mkdir()
    (d / 'run').mkdir(); (d / 'run' / 'steps.csv').write_text('epoch,step\n')
    (d / 'seg').mkdir(); (d / 'seg' / 'photo_labels.png').write_bytes(b'')
    (d / 'file.txt').write_text('x')
    return d


SEG = ['photo.jpg', '--classes', 'cat,grass', '--weights', 'model', '--out', 'out']
EVAL = ['--dataset', 'voc', '--root', 'voc', '--weights', 'model']
CASES = [  # command, arguments, what the one line says
    ('segment', ['nope.jpg'] + SEG[1:], 'image file(s) not found: nope.jpg'),
    ('segment', ['voc'] + SEG[1:], 'must be files'),
    ('segment', SEG[:3] + ['--weights', 'mdl'] + SEG[5:], "--weights: no checkpoint at 'mdl'"),
    ('segment', SEG[:3] + ['--weights', 'empty_model'] + SEG[5:], 'a folder without config.json'),
    ('segment', SEG[:3] + SEG[5:], '--weights is required'),
    ('segment', SEG[:1] + ['--classes', 'cat,Cat'] + SEG[3:], 'more than once'),
    ('segment', SEG + ['--window', '64', '--stride', '128'], '--stride 128 is larger than --window 64'),
    ('segment', SEG + ['--templates', 'fancy'], "Unknown template set 'fancy'"),
    ('segment', SEG[:-1] + ['seg'], "--out 'seg' already holds photo_labels.png"),
    ('segment', SEG[:-1] + ['file.txt/out'], 'is not a writable folder'),
    ('eval', ['--dataset', 'voc', '--root', 'VOCdevkit', '--weights', 'model'], "dataset folder 'VOCdevkit' does not exist"),
    ('eval', ['--dataset', 'imagenet', '--root', 'val', '--weights', 'model'], "image folder 'val' does not exist"),
    ('eval', EVAL[:-1] + ['mdl.pth'], "--weights: no checkpoint at 'mdl.pth'"),
    ('eval', EVAL[:-2], '--weights is required'),
    ('eval', EVAL + ['--window', '0'], '--window must be at least 1'),
    ('eval', EVAL + ['--bg-thresh', '1.5'], '--bg-thresh must lie in [0, 1]'),
    ('eval', EVAL + ['--out', 'voc'], 'is a folder'),
    ('eval', EVAL + ['--out', 'file.txt/r.json'], 'is not a writable folder'),
    ('train', ['--data', 'table.csv'], "--data 'table.csv' does not exist"),
    ('train', ['--data', 'shards/{00000..00099}.tar'], '--data: 100 of 100 shard(s) do not exist'),
    ('train', ['--data', 'pairs.csv', '--valid', 'valid.csv'], "--valid 'valid.csv' does not exist"),
    ('train', ['--data', 'synthetic', '--epochs', '0'], '--epochs must be at least 1'),
    ('train', ['--data', 'synthetic', '--lr', 'nan'], '--lr must be a finite number'),
    ('train', ['--data', 'synthetic', '--freeze', 'wings'], "unknown part(s) ['wings']"),
    ('train', ['--data', 'synthetic', '--init', 'w/final.pth'], "--init: no checkpoint at 'w/final.pth'"),
    ('train', ['--data', 'synthetic', '--resume', 'ck.pth'], '--resume ck.pth: no such checkpoint'),
    ('train', ['--data', 'synthetic', '--out', 'run'], '--out run already holds a run (steps.csv)'),
    ('train', ['--data', 'synthetic', '--out', 'file.txt/run'], 'is not a writable folder'),
    ('train', ['--config', 'nope.yaml'], '--config nope.yaml does not exist'),
    ('demo', ['--minutes', '0'], '--minutes must be positive'),
    ('demo', ['--out', 'file.txt/demo'], 'is not a writable folder'),
    ('app', ['--port', '70000'], '--port must be between 1 and 65535'),
    ('app', ['--weights', 'mdl'], "--weights: no checkpoint at 'mdl'"),
]


@pytest.mark.parametrize('command, argv, says', CASES, ids=[f'{c}: {s}' for c, _, s in CASES])
def test_refused_before_torch(here, command, argv, says):
    before = sorted(p.name for p in here.iterdir())
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', PROBE, command, *argv], cwd=here, capture_output=True, text=True, timeout=60)
    seconds = time.perf_counter() - t0
    code, heavy = r.stdout.split()
    assert (code, heavy) == ('2', '-'), (r.stdout, r.stderr)        # refused, and nothing heavy was imported
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f'groupvit_{command}: error: ') and says in lines[0], r.stderr
    assert sorted(p.name for p in here.iterdir()) == before          # no output folder made (no empty runs/)
    assert seconds < 5, seconds                                      # generous: the real figure is ~0.1-0.3 s


def test_a_start_refused_after_the_imports_leaves_no_empty_folders(here, capsys):
    "A setting found wrong only once the data are read (a batch larger than the data) leaves no runs/ behind either."
    from groupvit_nb.train import main
    with pytest.raises(SystemExit) as e:
        main(['--data', 'synthetic', '--n-train', '4', '--batch', '8', '--out', str(here / 'runs' / 'x'), '--no-progress'])
    assert e.value.code == 2 and 'larger than the 4 training pairs' in capsys.readouterr().err
    assert not (here / 'runs').exists()
