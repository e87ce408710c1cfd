"""Data that cannot be used, through the library and through `groupvit_train`: each case ends in one sentence that says
what is wrong (naming the file or shard), never a traceback, and a skip report counts every sample once."""
import io, os, shutil, subprocess, sys, warnings
import numpy as np
import pytest
import torch
import webdataset as wds
from PIL import Image

from groupvit_nb.data import pair_dataloaders, TableSource, BadDataWarning


class ZeroTokenizer:
    def __call__(self, caption): return torch.zeros(2, 77, dtype=torch.long)


def _png(path, value):
    Image.fromarray(np.full((24, 24, 3), value, np.uint8)).save(path)


def _jpg_bytes(value):
    b = io.BytesIO(); Image.fromarray(np.full((24, 24, 3), value, np.uint8)).save(b, 'JPEG'); return b.getvalue()


@pytest.fixture(scope='module')
def bad_data(tmp_path_factory):
    d = tmp_path_factory.mktemp('bad_data')
    with wds.TarWriter(str(d / 'nocap.tar')) as w:                      # images, but no caption files
        for i in range(6): w.write({'__key__': f'{i:05d}', 'jpg': _jpg_bytes(10 * i)})
    (d / 'latin1.csv').write_bytes('image,caption\nimg/0.png,a café\n'.encode('latin-1'))
    (d / 'img').mkdir()
    rows = ['image,caption']
    for i in range(16):                                                  # 16 rows, every fourth one missing
        if i % 4 == 0: rows.append(f'img/missing{i}.png,a thing')
        else: _png(d / 'img' / f'{i}.png', 10 * i); rows.append(f'img/{i}.png,a thing number {i}')
    (d / 'quarter_bad.csv').write_text('\n'.join(rows) + '\n')
    return d


LIBRARY_CASES = [  # (id, --data, part of the message)
    ('shard-without-captions', 'nocap.tar', 'no usable sample in 1 shard(s)'),
    ('pipe-command-fails', 'pipe:false', 'the command `false` exited with status 1'),
]


@pytest.mark.parametrize('data,message', [c[1:] for c in LIBRARY_CASES], ids=[c[0] for c in LIBRARY_CASES])
def test_unusable_shards_say_why(bad_data, data, message):
    spec = data if data.startswith('pipe:') else str(bad_data / data)
    dl = pair_dataloaders(spec, size=16, batch_size=2, num_workers=0, tokenizer=ZeroTokenizer(), epoch_length=6).train
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with pytest.raises(RuntimeError) as e: list(dl)
    assert message in str(e.value) and '\n' not in str(e.value)


def test_non_utf8_table_names_the_file_and_line(bad_data):
    with pytest.raises(ValueError) as e: TableSource(bad_data / 'latin1.csv')
    assert f"{bad_data / 'latin1.csv'}: not UTF-8 text (byte 0xe9 on line 2)" in str(e.value)


def test_skip_report_counts_each_sample_once(bad_data):
    "16 rows of which 4 are bad: the report says 4 of 16, though the bad rows' places were filled by re-drawn rows."
    dls = pair_dataloaders(str(bad_data / 'quarter_bad.csv'), size=16, batch_size=4, num_workers=0,
                           tokenizer=ZeroTokenizer())
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        sizes = [len(x) for x, _ in dls.train]
    assert sizes == [4, 4, 4, 4]                                          # full batches: bad rows were replaced
    reports = [str(o.message) for o in w if issubclass(o.category, BadDataWarning)]
    assert len(reports) == 1 and 'skipped 4 bad sample(s) of 16:' in reports[0], reports
    epoch = dls.train.skips.epochs[0]
    assert epoch['used'] == 12 and sorted(s.name for s in epoch['skipped']) == sorted(
        str(bad_data / 'img' / f'missing{i}.png') for i in (0, 4, 8, 12))


TRAIN_CASES = [  # (id, --data, exit status, part of the one-line message)
    ('shard-without-captions', 'nocap.tar', 1, 'no usable sample in 1 shard(s)'),
    ('pipe-command-fails', 'pipe:false', 1, 'the command `false` exited with status 1'),
    ('non-utf8-table', 'latin1.csv', 2, 'latin1.csv: not UTF-8 text (byte 0xe9 on line 2)'),
]


@pytest.mark.parametrize('data,code,message', [c[1:] for c in TRAIN_CASES], ids=[c[0] for c in TRAIN_CASES])
def test_groupvit_train_gives_one_line(bad_data, tmp_path, data, code, message):
    exe = shutil.which('groupvit_train')
    cmd = [exe] if exe else [sys.executable, '-c', 'from groupvit_nb.cli import train_main; train_main()']
    cmd += ['--data', data, '--preset', 'tiny', '--image-size', '32', '--epochs', '1', '--warmup-epochs', '0',
            '--batch', '4', '--num-workers', '0', '--no-progress', '--epoch-length', '6', '--out', str(tmp_path / 'run')]
    r = subprocess.run(cmd, cwd=bad_data, capture_output=True, text=True, timeout=600,
                       env={**os.environ, 'OMP_NUM_THREADS': '1'})
    lines = r.stderr.strip().splitlines()
    assert r.returncode == code, r.stderr
    assert len(lines) == 1 and message in lines[0], r.stderr
