"""How long a command takes to refuse a mistake that needs no model (a missing photo, dataset folder, table; a bad
option value; an unwritable --out), beside `--help` and a bare `python -c "import torch"`, each a fresh process,
timed in interleaved rounds so that a busy machine slows every figure alike. Prints the machine and its load.

    python benchmarks/error_speed.py [--rounds 5]
"""
import argparse, os, platform, statistics, subprocess, sys, tempfile, time
from pathlib import Path


def machine() -> str:
    "CPU model, core count and the load average now."
    model = next((l.split(':', 1)[1].strip() for l in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines()
                  if l.startswith('Model name')), platform.processor() or 'unknown CPU')
    return f"{model}, {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"


def command(name:str) -> list:
    "The console script `name` (or, if it is not installed, the same entry point through python -c)."
    module = name.removeprefix('groupvit_')
    return [sys.executable, '-c', f'from groupvit_nb.cli import {module}_main; {module}_main()']


def cases(d:Path) -> dict:
    "label → argv; every error case must exit 2."
    (d / 'voc').mkdir(exist_ok=True)
    (d / 'file.txt').write_text('x')
    return {
        'python -c "import torch"': [sys.executable, '-c', 'import torch'],
        'groupvit_segment --help': command('groupvit_segment') + ['--help'],
        'segment: photo not found': command('groupvit_segment') + ['photo.jpg', '--classes', 'cat', '--weights', 'm', '--out', 'o'],
        'eval: --root not found': command('groupvit_eval') + ['--dataset', 'voc', '--root', 'VOCdevkit', '--weights', 'm'],
        'eval: --weights not found': command('groupvit_eval') + ['--dataset', 'voc', '--root', 'voc', '--weights', 'm.pth'],
        'train: --data table not found': command('groupvit_train') + ['--data', 'pairs.csv'],
        'train: --epochs 0': command('groupvit_train') + ['--data', 'synthetic', '--epochs', '0'],
        'train: --out not writable': command('groupvit_train') + ['--data', 'synthetic', '--out', 'file.txt/run'],
        'demo: --minutes 0': command('groupvit_demo') + ['--minutes', '0'],
        'app: --port 70000': command('groupvit_app') + ['--port', '70000'],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=5)
    a = ap.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as d:
        todo = cases(Path(d))
        times = {k: [] for k in todo}
        for _ in range(a.rounds):                                   # interleaved: each round runs every case once
            for label, argv in todo.items():
                t = time.perf_counter()
                r = subprocess.run(argv, cwd=d, capture_output=True, text=True)
                times[label].append(time.perf_counter() - t)
                want = 0 if 'help' in label or 'import' in label else 2
                if r.returncode != want: raise SystemExit(f"{label}: exit {r.returncode}, wanted {want}: {r.stderr.strip()}")
        torch_s = statistics.median(times['python -c "import torch"'])
        print(f"{'':34} {'median s':>9} {'best s':>8} {'÷ import torch':>15}")
        for label, ts in times.items():
            m = statistics.median(ts)
            print(f"{label:34} {m:9.3f} {min(ts):8.3f} {m / torch_s:15.2f}")
        errors = [statistics.median(ts) for k, ts in times.items() if ':' in k]
        print(f"slowest refusal {max(errors):.3f} s (goal < 1 s); --help {statistics.median(times['groupvit_segment --help']):.3f} s; "
              f"import torch {torch_s:.3f} s; {machine().split(', load')[1].strip()} at the end")


if __name__ == '__main__': main()
