"""Training throughput of the demo's recipe (images/s), as `groupvit_train --config groupvit_nb/demo/train.yaml` runs it.

Each setting trains twice from the same command on the same `--steps` batches of pairs, for one epoch and for two; the
difference of the two wall times divided by `--steps` is the time of one step (loading the batch included), free of
start-up, data rendering and the end-of-run evaluation. Settings: `--adamw` fused and for-loop (the shipped recipe's) and `--precision` fp32 and bf16
(CPU autocast), at the thread counts given. The same run measures this machine's dense matmul peak in each precision
and the FLOPs of one step (`FlopCounterMode`, taught the fused CPU attention's), and prints each setting's share of the peak.

    python benchmarks/demo_train_speed.py [--threads 1 2] [--steps 40] [--adamw fused for-loop] [--precision fp32 bf16]
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path
import yaml

CONFIG = Path(__file__).resolve().parents[1] / 'groupvit_nb' / 'demo' / 'train.yaml'


def flat_recipe(**over) -> dict:
    "The demo recipe without its curriculum (a short run trains in the final world throughout), with `over` set."
    cfg = yaml.safe_load(CONFIG.read_text())
    for k in ('curriculum', 'curriculum_epochs'): cfg.pop(k, None)
    return {**cfg, **over}


def wall(n_train:int, epochs:int, adamw:str, threads:int, precision:str='fp32') -> float:
    "Seconds of one `groupvit_train` run of the demo recipe: `epochs` epochs of `n_train` pairs."
    with tempfile.TemporaryDirectory() as d:
        Path(f'{d}/train.yaml').write_text(yaml.safe_dump(flat_recipe()))
        cmd = [sys.executable, '-c', 'from groupvit_nb.cli import train_main; train_main()', '--config', f'{d}/train.yaml',
               '--n-train', str(n_train), '--n-valid', '16', '--epochs', str(epochs), '--warmup-epochs', '0.1',
               '--save-every', '0', '--collapse-every', '0', '--no-progress', '--adamw', adamw, '--precision', precision, '--out', f'{d}/run']
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        t = time.perf_counter()
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode: sys.exit(f"demo_train_speed.py: error: groupvit_train failed:\n{r.stderr[-2000:]}")
        return time.perf_counter() - t


def step_flops(batch:int) -> float:
    "FLOPs of one training step of the demo recipe (forward, loss, backward), counted by `FlopCounterMode` in a real step (call `count_cpu_attention` first)."
    from fastai.callback.core import Callback
    from torch.utils.flop_counter import FlopCounterMode
    from groupvit_nb.train import TrainConfig, build_run

    class CountFlops(Callback):
        order = 100
        def before_batch(self):
            if self.training: self.fc = FlopCounterMode(display=False); self.fc.__enter__()
        def after_backward(self): self.fc.__exit__(None, None, None)
    with tempfile.TemporaryDirectory() as d:
        cfg = flat_recipe(n_train=batch, n_valid=16, epochs=1, warmup_epochs=0.1, save_every=0, no_progress=True, out=f'{d}/run')
        learn = build_run(TrainConfig(**cfg))[0]
        counter = CountFlops()
        learn.fit(1, cbs=[counter])
        learn.out_lock.close()
        return counter.fc.get_total_flops()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--steps', type=int, default=40, help='steps of one epoch')
    ap.add_argument('--adamw', nargs='+', default=['fused', 'for-loop'])
    ap.add_argument('--precision', nargs='+', default=['fp32', 'bf16'], choices=['fp32', 'bf16'])
    a = ap.parse_args()
    cfg = yaml.safe_load(CONFIG.read_text())
    batch, steps = cfg['batch'], cfg['n_train'] // cfg['batch'] * cfg['epochs']
    load0 = os.getloadavg()[0]
    import torch
    sys.path.insert(0, str(Path(__file__).parent))
    from image_speed import matmul_peak, count_cpu_attention
    count_cpu_attention()
    flops = step_flops(batch)
    rows = []
    for threads in a.threads:
        torch.set_num_threads(threads)
        peaks = {p: matmul_peak(torch.float32 if p == 'fp32' else torch.bfloat16, 'cpu') for p in a.precision}
        print(f"threads {threads}: matmul peak (2048³) " + ', '.join(f"{p} {v/1e9:.0f} GFLOP/s" for p, v in peaks.items())
              + f"; one step {flops/1e9:.1f} GFLOP", flush=True)
        for precision in a.precision:
            for impl in a.adamw:
                t0, t1 = (wall(a.steps * batch, e, impl, threads, precision) for e in (1, 2))
                step = (t1 - t0) / a.steps
                rows.append((threads, precision, impl, step))
                print(f"threads {threads}, {precision}, AdamW {impl:8s}: {step*1e3:7.1f} ms a step of {batch}, "
                      f"{batch/step:6.1f} images/s, {flops/step/1e9:5.0f} GFLOP/s = {flops/step/peaks[precision]:5.1%} of "
                      f"the {precision} peak ({t0:.1f} s for {a.steps} steps, {t1:.1f} s for {2 * a.steps})", flush=True)
    print(f"load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after; the recipe is {steps:,} steps: "
          + ', '.join(f"{steps*s/60:.1f} min at {t} thread{'s' if t > 1 else ''} ({p}, {i})" for t, p, i, s in rows))


if __name__ == '__main__': main()
