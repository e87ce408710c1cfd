"""One photo end to end: `groupvit_segment` with the shipped demo model on a 451×300 picture, at the model's own
settings, beside `python -c "import torch"` and `python -c "import groupvit_nb.segment"` — each a fresh process,
timed in interleaved rounds, so a busy machine slows all alike and the ratios stand. The photo runs with the default
threads and with one (OMP_NUM_THREADS=1): on a busy machine a small model's many short kernels wait for the second
thread to be scheduled, and one thread shows what the work itself costs. The goal: the photo within 2×
the bare torch import. With `--before DIR` (a source tree of an earlier version, e.g. `git archive main | tar -x -C
DIR`) the same command of that version is timed in the same rounds, so before and after are side by side.

    python benchmarks/photo_speed.py [--rounds 5] [--before DIR]
"""
import argparse, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    "CPU model, core count and the load average now."
    out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines()
    model = next((l.split(':', 1)[1].strip() for l in out if l.startswith('Model name')), 'unknown CPU')
    return f"{model}, {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"


def photo(path:Path, size=(451, 300)):
    "A 451×300 picture in the demo's world: a circle and a square on a shaded, noisy background (a PNG, as a photo)."
    w, h = size
    yy, xx = np.mgrid[:h, :w]
    bg = np.stack([90 + 60 * xx / w, 140 + 40 * yy / h, 200 - 80 * xx / w], -1)
    bg += np.random.RandomState(0).normal(0, 6, bg.shape)
    im = Image.fromarray(bg.clip(0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    d.ellipse((60, 70, 200, 210), fill=(220, 60, 40)); d.rectangle((260, 90, 390, 220), fill=(240, 210, 40))
    im.save(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--before', help='source tree of an earlier version to time beside this one')
    a = ap.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); photo(d / 'photo.png')
        seg = lambda out, tree: ['-c', 'from groupvit_nb.cli import segment_main; segment_main()', str(d / 'photo.png'), '--classes',
                                 'circle,square', '--weights', str(tree / 'groupvit_nb' / 'demo'), '--out', str(d / out), '--overwrite']
        trees = {'now': ROOT} | ({'before': Path(a.before).resolve()} if a.before else {})
        cases = {'python -c "import torch"': (['-c', 'import torch'], ROOT)}
        for name, tree in trees.items():
            cases[f'import groupvit_nb.segment ({name})'] = (['-c', 'import groupvit_nb.segment'], tree)
            cases[f'groupvit_segment photo ({name})'] = (seg(name, tree), tree)   # its own demo model folder
            cases[f'groupvit_segment photo ({name}, 1 thread)'] = (seg(name + '1', tree), tree)
        times = {k: [] for k in cases}
        for _ in range(a.rounds):
            for label, (argv, tree) in cases.items():
                env = {**os.environ, 'PYTHONPATH': str(tree), **({'OMP_NUM_THREADS': '1'} if '1 thread' in label else {})}
                t = time.perf_counter()
                r = subprocess.run([sys.executable, *argv], env=env, capture_output=True, text=True, cwd=d)
                times[label].append(time.perf_counter() - t)
                if r.returncode: raise SystemExit(f"{label}: exit {r.returncode}: {r.stderr.strip()[-500:]}")
        torch_s = statistics.median(times['python -c "import torch"'])
        print(f"{'':46} {'median s':>9} {'best s':>8} {'÷ import torch':>15}")
        for label, ts in times.items():
            print(f"{label:46} {statistics.median(ts):9.3f} {min(ts):8.3f} {statistics.median(ts) / torch_s:15.2f}")
        print(f"goal: the photo within 2.00 x import torch; {machine().split(', load')[1].strip()} at the end")


if __name__ == '__main__': main()
