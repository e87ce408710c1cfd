"""Training throughput of the demo's recipe (images/s), as `groupvit_train --config groupvit_nb/demo/train.yaml` runs it.

Each setting trains twice from the same command, for a short and a long epoch (`--n-train`); the difference of the
two wall times divided by the difference in steps is the time of one step, free of start-up, data rendering and the
end-of-run evaluation. Settings: `--adamw` fused and for-loop (the shipped recipe's), at the thread counts given.

    python benchmarks/demo_train_speed.py [--threads 1 2] [--steps 16 56]
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path
import yaml

CONFIG = Path(__file__).resolve().parents[1] / 'groupvit_nb' / 'demo' / 'train.yaml'


def wall(n_train:int, adamw:str, threads:int) -> float:
    "Seconds of one `groupvit_train` run of the demo recipe on `n_train` pairs (one epoch)."
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, '-c', 'from groupvit_nb.cli import train_main; train_main()', '--config', str(CONFIG),
               '--n-train', str(n_train), '--n-valid', '16', '--epochs', '1', '--warmup-epochs', '0.1',
               '--save-every', '0', '--collapse-every', '0', '--no-progress', '--adamw', adamw, '--out', f'{d}/run']
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        t = time.perf_counter()
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode: sys.exit(f"demo_train_speed.py: error: groupvit_train failed:\n{r.stderr[-2000:]}")
        return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--steps', type=int, nargs=2, default=[16, 56], help='steps of the short and the long run')
    ap.add_argument('--adamw', nargs='+', default=['fused', 'for-loop'])
    a = ap.parse_args()
    batch = yaml.safe_load(CONFIG.read_text())['batch']
    (s0, s1), load0 = a.steps, os.getloadavg()[0]
    rows = []
    for threads in a.threads:
        for impl in a.adamw:
            t0, t1 = wall(s0 * batch, impl, threads), wall(s1 * batch, impl, threads)
            step = (t1 - t0) / (s1 - s0)
            rows.append((threads, impl, step))
            print(f"threads {threads}, AdamW {impl:8s}: {step*1e3:7.1f} ms a step of {batch}, {batch/step:6.1f} images/s "
                  f"({t0:.1f} s for {s0} steps, {t1:.1f} s for {s1})", flush=True)
    print(f"load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after; the full recipe is 2,250 steps: "
          + ', '.join(f"{2250*s/60:.1f} min at {t} thread{'s' if t > 1 else ''} ({i})" for t, i, s in rows))


if __name__ == '__main__': main()
