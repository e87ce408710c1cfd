"Run the installed `groupvit_demo` console script on the shipped model: files, metrics, the target, one-line errors."
import json, shutil, subprocess, sys

def run(*args):
    exe = shutil.which('groupvit_demo')
    cmd = [exe] if exe else [sys.executable, '-c', 'from groupvit_nb.demo import main; main()']
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=600)

def test_demo_writes_everything(tmp_path):
    r = run('--out', tmp_path / 'd', '--images', 60, '--no-progress')
    assert r.returncode == 0, r.stderr[-2000:]
    names = sorted(p.name for p in (tmp_path / 'd').iterdir())
    assert names == ['groups.png', 'metrics.json', 'model', 'segmentation.png', 'training.png']
    m = json.loads((tmp_path / 'd' / 'metrics.json').read_text())
    for k in ('miou', 'iou', 'all_background', 'untrained', 'seconds', 'bg_thresh', 'second_renderer'): assert k in m
    sr = m['second_renderer']   # the independent renderer is scored too, next to its own all-background baseline
    assert 0 <= sr['miou'] <= 1 and abs(sr['ratio_to_all_background'] - sr['miou'] / sr['all_background']) < 1e-9
    assert 'second renderer' in r.stdout
    assert set(m['iou']) == {'background', 'circle', 'square', 'triangle', 'star', 'heart', 'cross'}
    assert m['miou'] > 2 * m['all_background']['miou'] and m['miou'] > m['untrained']['miou']
    assert 'mIoU' in r.stdout and str(tmp_path / 'd') in r.stdout
    assert (tmp_path / 'd' / 'model' / 'config.json').exists()

def test_demo_bad_flags(tmp_path):
    for args, msg in ((['--minutes', '-1'], '--minutes'), (['--images', '3'], '--images'), (['--bogus'], 'unrecognized')):
        r = run(*args, '--out', tmp_path)
        ours = [l for l in r.stderr.splitlines() if l.startswith('groupvit_demo')]  # not library import warnings
        assert r.returncode == 2 and len(ours) == 1 and msg in ours[0], r.stderr
