"""The VOC world's time budget: drawing the world, one training step of the shipped recipe, and `groupvit_demo --world voc`.

- draw: `python -m groupvit_nb.world` writing `--scenes` training scenes with 2 workers and its six VOC folders of
  200 scenes, per 1,000 scenes, and projected to the shipped world (32,000 training scenes and the same folders);
- step: the shipped recipe (`groupvit_nb/demo/voc/train.yaml`) on the first shard for one epoch and for two, at each
  thread count; the difference of the two wall times over one epoch's steps is one step, free of start-up; projected
  to the recipe's planned steps;
- demo: `groupvit_demo --world voc --no-progress`, end to end (200 test scenes per artist written and scored).

    python benchmarks/voc_budget.py [--scenes 4000] [--threads 1 2] [--skip-demo]
"""
import argparse, json, os, platform, subprocess, sys, tempfile, time
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT/'groupvit_nb'/'demo'/'voc'/'train.yaml'


def run(cmd, threads:int=2) -> float:
    "Wall seconds of `cmd` (a list), which must succeed."
    t = time.perf_counter()
    r = subprocess.run(cmd, env=dict(os.environ, OMP_NUM_THREADS=str(threads)), capture_output=True, text=True)
    if r.returncode: sys.exit(f"voc_budget.py: error: {' '.join(map(str, cmd[:4]))} … failed:\n{r.stderr[-2000:]}")
    return time.perf_counter() - t


def cpu() -> str:
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--scenes', type=int, default=4000, help='training scenes to draw: two shards of 2,000, one per worker')
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--skip-demo', action='store_true')
    a = ap.parse_args()
    recipe = yaml.safe_load(RECIPE.read_text())
    shipped = json.loads((ROOT/'groupvit_nb'/'demo'/'voc'/'world.json').read_text())
    planned = recipe['epochs'] * shipped['n_train'] // recipe['batch']
    print(f"{cpu()}, {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as d:
        s = run([sys.executable, '-m', 'groupvit_nb.world', '--out', f'{d}/w', '--n-train', str(a.scenes),
                 '--workers', '2', '--no-progress'])
        n, n_shipped = a.scenes + 6 * 200, shipped['n_train'] + 6 * 200      # valid, test, open and 3 held-out artists
        print(f"draw: {s:.1f} s for {a.scenes} training scenes and 6 VOC folders: {s / n * 1000:.1f} s per 1,000 scenes, "
              f"about {s / n * n_shipped / 60:.1f} min for the shipped world")
        shard, steps = f'{d}/w/train/00000.tar', min(a.scenes, 2000) // recipe['batch']   # the first shard's steps
        for t in a.threads:
            w = [run([sys.executable, '-m', 'groupvit_nb.train', '--config', str(RECIPE), '--data', shard,
                      '--epochs', str(e), '--warmup-epochs', '0.1', '--save-every', '0', '--no-progress',
                      '--out', f'{d}/run{t}_{e}'], t) for e in (1, 2)]
            step = (w[1] - w[0]) / steps
            print(f"step, {t} thread(s): {step * 1000:.0f} ms ({steps} steps a epoch; runs of {w[0]:.1f} and {w[1]:.1f} s); "
                  f"the recipe's {planned} steps: {step * planned / 60:.1f} min")
    if not a.skip_demo:
        with tempfile.TemporaryDirectory() as d:
            s = run(['groupvit_demo', '--world', 'voc', '--out', f'{d}/demo', '--no-progress'])
            print(f"demo: groupvit_demo --world voc took {s:.1f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == '__main__': main()
