"""How long `groupvit_train --config groupvit_nb/demo/train.yaml` takes from launch to its first optimiser step: the run
is started as a user starts it, the first row of its `steps.csv` (written after step 1) is waited for, and the run is
then stopped. Beside it, `python -c "import torch"` in the same rounds. With `--before DIR` (a source tree of an earlier
version) that version's run is timed in the same rounds. Prints the machine and its load; the goal is 15 s.

    python benchmarks/train_start.py [--rounds 2] [--before DIR] [--timeout 600]
"""
import argparse, os, signal, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines()
    model = next((l.split(':', 1)[1].strip() for l in out if l.startswith('Model name')), 'unknown CPU')
    return f"{model}, {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"


def first_step(tree:Path, out:Path, timeout:float) -> float:
    "Seconds from launching the demo recipe's training (code of `tree`) to the first row of its steps.csv."
    cmd = [sys.executable, '-c', 'from groupvit_nb.cli import train_main; train_main()', '--config',
           str(tree / 'groupvit_nb' / 'demo' / 'train.yaml'), '--out', str(out), '--no-progress']
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(tree)}, cwd=out.parent, stdout=subprocess.DEVNULL,  # cwd: not this tree
                         stderr=subprocess.PIPE, start_new_session=True)
    steps = out / 'steps.csv'
    try:
        while time.perf_counter() - t0 < timeout:
            if steps.exists() and len(steps.read_text().splitlines()) >= 2: return time.perf_counter() - t0
            if p.poll() is not None: raise SystemExit(f"train_start.py: the run ended first: {p.stderr.read().decode()[-1000:]}")
            time.sleep(0.05)
        return float('inf')
    finally:
        os.killpg(p.pid, signal.SIGKILL); p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=2); ap.add_argument('--before'); ap.add_argument('--timeout', type=float, default=600)
    a = ap.parse_args()
    print(machine())
    trees = {'now': ROOT} | ({'before': Path(a.before).resolve()} if a.before else {})
    times = {'python -c "import torch"': []} | {f'first step ({k})': [] for k in trees}
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.rounds):
            t = time.perf_counter(); subprocess.run([sys.executable, '-c', 'import torch'], check=True)
            times['python -c "import torch"'].append(time.perf_counter() - t)
            for k, tree in trees.items(): times[f'first step ({k})'].append(first_step(tree, Path(d) / f'{k}{r}', a.timeout))
    torch_s = min(times['python -c "import torch"'])
    print(f"{'':30} {'best s':>8} {'all s':>20}")
    for k, ts in times.items(): print(f"{k:30} {min(ts):8.1f}   {' '.join(f'{t:.1f}' for t in ts):>18}")
    print(f"goal: the first step within 15 s of launch; import torch {torch_s:.1f} s; "
          f"{machine().split(', load')[1].strip()} at the end")


if __name__ == '__main__': main()
