"""Every shell command of README.md, run as written from a fresh, empty working folder.

Each command of the README's ```sh blocks must be known to this file (a new command fails `test_every_command_is_known`
until it is added below), and is then one of:

- run as written: it must succeed and write what the README says, or, when it needs what a fresh machine does not have
  (the internet, a dataset, a GPU cluster), stop with the one-line error a user would see (exit status 2 for missing
  input, 1 for a failure while running);
- run as written, and once more with a tiny override appended, where the README shows it as an example of a long run
  on the user's own data: the override makes that data (a few images) and shrinks the run to seconds;
- not run, with the reason: installing the package into the system, the test suite itself, two machines.

The Hugging Face hub is switched off (HF_HUB_OFFLINE=1), so the result does not depend on the network. Files of the
repository that a command names (`groupvit_nb/demo/train.yaml`) are copied into the fresh folder, as in a clone.
GROUPVIT_README_FULL=1 runs the shipped models' reproductions in full (about 28 minutes on 2 cores for the shapes, an hour
or more for the VOC world) instead of shortened ones."""
import os, re, shlex, shutil, subprocess
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def shell_commands(markdown:str) -> list[str]:
    "The commands of the ```sh blocks: comments dropped, backslash-continued lines joined."
    cmds = []
    for block in re.findall(r'```(?:sh|bash|shell)\n(.*?)```', markdown, re.S):
        block = re.sub(r'\\\n\s*', ' ', block)
        for line in block.splitlines():
            line = re.sub(r'\s{2,}#.*$', '', line).strip()
            if line and not line.startswith('#'): cmds.append(line)
    return cmds


COMMANDS = shell_commands((ROOT / 'README.md').read_text())


def _photo(d:Path):
    Image.fromarray(np.random.RandomState(0).randint(0, 256, (60, 80, 3), dtype=np.uint8)).save(d / 'photo.jpg')


def _pairs(d:Path):
    "A table of 8 image–caption pairs, as a user's own data would be."
    (d / 'img').mkdir()
    rows = ['image,caption']
    for i, (colour, rgb) in enumerate([('red', (220, 30, 30)), ('blue', (30, 30, 220))] * 4):
        a = np.full((40, 40, 3), 235, np.uint8); a[10:30, 8 + i:28 + i] = rgb
        Image.fromarray(a).save(d / 'img' / f'{i}.png')
        rows.append(f'img/{i}.png,a {colour} square on a white wall')
    (d / 'pairs.csv').write_text('\n'.join(rows) + '\n')


def _demo_model(d:Path):
    "What `groupvit_demo` leaves in ./groupvit_demo/model: the shipped model with its zero-shot defaults, and a photo."
    from groupvit_nb.core import GroupViT
    from groupvit_nb.demo import PlainShapes, demo_dir
    model = GroupViT.from_pretrained(demo_dir())
    model.save_pretrained(d / 'groupvit_demo' / 'model', zero_shot=model.zero_shot)
    Image.fromarray(PlainShapes(1).sample(0)['image']).save(d / 'photo.jpg')


TINY_TRAIN = ' --preset tiny --image-size 32 --epochs 1 --warmup-epochs 0 --batch 4 --num-workers 0 --no-progress'
DEMO_REPRO = '' if os.environ.get('GROUPVIT_README_FULL') else ' --n-train 256 --n-valid 32'
VOC_REPRO = '' if os.environ.get('GROUPVIT_README_FULL') else ' --n-train 128 --images 6 --no-progress'  # a world of 2 batches

# (pattern matching the README command, how to check it); the first matching pattern applies
NOT_RUN = [
    (r'^git clone', 'clones this repository; the test runs inside a clone'),
    (r'^apt-get install', 'installs system packages; the CI script runs it on a fresh machine'),
    (r'^pip install', 'installs this package; the CI script runs it on a fresh clone'),
    (r'^nbdev-test\b.*pytest', 'the test suite itself'),
    (r'--nnodes 2', 'needs a second machine reachable as node0'),
    (r'^groupvit_app\b', 'serves a web page until stopped; tests/test_app_browser.py runs it and uses it in Chromium'),
]
RUN = [
    # id, pattern, setup, extra args, expected exit status, stderr (one-line error) or None, files that must exist
    ('demo', r'^groupvit_demo$', None, '', 0, None,
     ['groupvit_demo/metrics.json', 'groupvit_demo/segmentation.png', 'groupvit_demo/groups.png',
      'groupvit_demo/training.png', 'groupvit_demo/model/config.json']),
    ('demo-reproduction', r'groupvit_train --config groupvit_nb/demo/train\.yaml --out', None, DEMO_REPRO, 0, None,
     ['runs/demo/final.pth']),
    ('demo-reproduction-bf16', r'groupvit_train --config groupvit_nb/demo/train\.yaml --precision bf16', None, DEMO_REPRO, 0,
     None, ['runs/demo_bf16/final.pth']),
    ('demo-voc', r'^groupvit_demo --world voc --out voc_demo$', None, ' --no-progress', 0, None,
     ['voc_demo/metrics.json', 'voc_demo/segmentation.png', 'voc_demo/groups.png', 'voc_demo/model/config.json',
      'voc_demo/world/test_openmoji/SegmentationClass']),
    ('demo-voc-reproduction', r'^groupvit_demo --world voc --train', None, VOC_REPRO, 0, None,
     ['voc_trained/model/zero_shot.json', 'voc_trained/metrics.json', 'voc_trained/world/train/00000.tar']),
    ('segment-released-weights', r'^groupvit_segment photo\.jpg .*--weights nvidia/', _photo, '', 1,
     r"cannot load --weights 'nvidia/groupvit-gcc-yfcc': could not reach the Hugging Face hub", []),
    ('segment-demo-model', r'^groupvit_segment photo\.jpg .*--weights groupvit_demo/model', _demo_model, '', 0, None,
     ['shapes']),
    ('eval-voc', r'^groupvit_eval --dataset voc', None, '', 2, r"dataset folder 'data/VOCdevkit/VOC2012' does not exist", []),
    ('train-table', r'^groupvit_train --data pairs\.csv', None, '', 2, r'pairs\.csv', []),
    ('train-table-tiny', r'^groupvit_train --data pairs\.csv', _pairs, TINY_TRAIN, 0, None, ['runs/mine/final.pth']),
    ('torchrun-8', r'^torchrun --nproc_per_node 8', None, '', None, r"--data: 1243 of 1243 shard\(s\) do not exist", []),
    ('accelerate-8', r'^accelerate launch', None, '', None, r"--data: 1243 of 1243 shard\(s\) do not exist", []),
]


def test_every_command_is_known():
    assert COMMANDS, 'README.md has no shell commands'
    unknown = [c for c in COMMANDS if not any(re.search(p, c) for p, _ in NOT_RUN) and
               not any(re.search(r[1], c) for r in RUN)]
    assert not unknown, f'README commands this test does not know (add them to NOT_RUN or RUN): {unknown}'
    missing = [r[0] for r in RUN if not any(re.search(r[1], c) for c in COMMANDS)]
    assert not missing, f'cases whose README command is gone (remove or update them): {missing}'


def test_ci_runs_the_readme_test_command():
    "CI (.ci/run) runs the README's test command exactly as the README writes it, so CI shows what a user sees."
    readme = [c for c in COMMANDS if re.search(r'^nbdev-test\b.*pytest', c)]
    assert len(readme) == 1, readme
    ci = [l.strip() for l in (ROOT / '.ci' / 'run').read_text().splitlines() if not l.strip().startswith('#')]
    assert readme[0] in ci, f'.ci/run does not run the README test command `{readme[0]}` as a line of its own'


def test_demo_output_is_ignored_by_git():
    "The Quick start's `groupvit_demo` writes ./groupvit_demo at the repository root; git ignores it."
    if not (ROOT / '.git').exists(): pytest.skip('not a git checkout')
    r = subprocess.run(['git', 'check-ignore', '-q', 'groupvit_demo/metrics.json'], cwd=ROOT)
    assert r.returncode == 0, 'groupvit_demo/ is not ignored by git (.gitignore)'


def _repo_files(cmd:str, cwd:Path):
    "Copy the repository files a command names (relative paths) into the fresh folder, as they are in a clone."
    for tok in shlex.split(cmd):
        p = ROOT / tok
        if '/' in tok and not tok.startswith('/') and p.is_file():
            (cwd / tok).parent.mkdir(parents=True, exist_ok=True); shutil.copy(p, cwd / tok)


@pytest.mark.parametrize('case', RUN, ids=[r[0] for r in RUN])
def test_readme_command(case, tmp_path):
    name, pattern, setup, extra, code, stderr_re, files = case
    cmd = next(c for c in COMMANDS if re.search(pattern, c))
    if setup: setup(tmp_path)
    _repo_files(cmd, tmp_path)
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1')}
    r = subprocess.run(['bash', '-c', cmd + extra], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=5400 if DEMO_REPRO == '' and 'reproduction' in name else 900)
    where = f'`{cmd + extra}` exited {r.returncode}\nstdout: {r.stdout[-2000:]}\nstderr: {r.stderr[-3000:]}'
    if code is None: assert r.returncode != 0, where                  # a launcher: its own exit status
    else: assert r.returncode == code, where
    if stderr_re:
        errors = [l for l in r.stderr.splitlines() if ': error: ' in l]
        assert errors and all(re.search(stderr_re, l) for l in errors), where
        if code is not None:                                             # one process: exactly one line on stderr
            assert len(r.stderr.strip().splitlines()) == 1, where
    for f in files: assert (tmp_path / f).exists(), f'{f} missing after `{cmd + extra}`\n{where}'
