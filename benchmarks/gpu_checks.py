"""Every GPU figure the project asks for, in one run that fits a short loan of a GPU machine:

1. the card, the driver and the number of GPUs;
2. `gpu_train.py`: GroupViT-S/16 training at batch 256 in bf16, eager and compiled: images/s, peak memory, MFU;
3. `segment_speed.py --device cuda`: zero-shot segmentation in fp32 and bf16, per image and images/s;
4. `data_speed.py`: images/s of the webdataset loader for 0, 1, 4 and 8 workers, to set against (2);
5. (not run here) the multi-GPU path: with more than one GPU, the README's `torchrun` command trains with DDP.

Each step runs as its own process with a time limit, so one that fails or hangs costs only its own time; the
summary at the end says which steps ran, failed or were skipped, and the total time.

    python benchmarks/gpu_checks.py [--budget 540]
    python benchmarks/gpu_checks.py --smoke      # the same steps at toy sizes on the CPU (what the tests run)
"""
import argparse, os, shutil, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def steps(smoke:bool):
    "(name, command, seconds allowed) for each check; CPU-sized stand-ins when `smoke`."
    py = sys.executable
    if smoke: return [
        ('gpu_train', [py, HERE/'gpu_train.py', '--device', 'cpu', '--preset', 'tiny', '--batch', '8', '--steps', '3',
                       '--warmup', '1', '--no-compile'], 300),
        ('segment_speed', [py, HERE/'segment_speed.py', '--device', 'cpu', '--batch', '1', '--reps', '1'], 300),
        ('data_speed', [py, HERE/'data_speed.py', '--n', '32', '--workers', '0', '--batch', '8', '--no-model'], 300)]
    out = [('gpu_train', [py, HERE/'gpu_train.py', '--batch', '256', '--steps', '30'], 300),
           ('segment_speed', [py, HERE/'segment_speed.py', '--device', 'cuda', '--precision', 'fp32', 'bf16',
                              '--batch', '32'], 120),
           ('data_speed', [py, HERE/'data_speed.py', '--n', '512', '--workers', '0,1,4,8', '--batch', '64',
                           '--no-model'], 120)]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--budget', type=float, default=540, help='seconds for all steps; a step that would start later is skipped')
    ap.add_argument('--smoke', action='store_true', help='toy sizes on the CPU, to check that the steps run')
    a = ap.parse_args()
    import torch
    n_gpus = torch.cuda.device_count()
    if not a.smoke and not n_gpus: sys.exit('gpu_checks.py: error: no CUDA GPU visible; run it on a GPU machine (or --smoke)')
    t0, done = time.perf_counter(), []
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {n_gpus} GPU(s): "
          f"{', '.join(torch.cuda.get_device_name(i) for i in range(n_gpus)) or 'none'}; {os.cpu_count()} CPU cores", flush=True)
    if n_gpus and shutil.which('nvidia-smi'):
        smi = subprocess.run(['nvidia-smi', '--query-gpu=name,memory.total,driver_version,clocks.max.sm', '--format=csv'],
                             capture_output=True, text=True)
        print(smi.stdout.strip() or smi.stderr.strip(), flush=True)
    if n_gpus: print(f"{n_gpus} GPU(s): the multi-GPU path (DDP) is not measured here; with more than one, time the "
                     "README's torchrun command", flush=True)
    for name, cmd, limit in steps(a.smoke):
        left = a.budget - (time.perf_counter() - t0)
        if left < 30: done.append((name, 'skipped: budget spent', 0.)); continue
        print(f"\n== {name}: {' '.join(map(str, cmd[1:]))}", flush=True)
        t = time.perf_counter()
        try:
            r = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, timeout=min(limit, left))
            print(r.stdout.strip(), flush=True)
            if r.returncode: print(r.stderr.strip()[-1500:], flush=True)
            status = 'ok' if r.returncode == 0 else f'failed (exit {r.returncode})'
        except subprocess.TimeoutExpired: status = f'stopped after {min(limit, left):.0f} s'
        done.append((name, status, time.perf_counter() - t))
    print('\n== summary')
    for name, status, sec in done: print(f"{name:14s} {status:28s} {sec:6.0f} s")
    print(f"total {time.perf_counter() - t0:.0f} s")
    sys.exit(0 if all(s == 'ok' for _, s, _ in done) else 1)


if __name__ == '__main__': main()
