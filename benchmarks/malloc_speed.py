"""`keep_freed_memory` (notebook 00_cli) against glibc's default malloc, in fresh child processes, interleaved: the median
time and the page faults of `encode_image` (GroupViT-S/16, random weights, batch 8 at 224², fp32), and the median
step time of the demo's recipe in fp32 over `--steps` steps (as `groupvit_train` runs it, loading the batch included).

    python benchmarks/malloc_speed.py [--rounds 3] [--steps 40]
"""
import argparse, json, os, subprocess, sys

ENCODE = r'''
import json, resource, statistics, sys, time, torch
from groupvit_nb.cli import keep_freed_memory
if sys.argv[1] == 'kept': assert keep_freed_memory()
from groupvit_nb.core import groupvit_s16
torch.manual_seed(0); m = groupvit_s16().eval(); x = torch.randn(8, 3, 224, 224)
with torch.inference_mode():
    for _ in range(3): m.encode_image(x)
    r0, ts = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, []
    for _ in range(7):
        t = time.perf_counter(); m.encode_image(x); ts.append(time.perf_counter() - t)
print(json.dumps([statistics.median(ts) * 1e3, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) / 7]))
'''

TRAIN = r'''
import json, statistics, sys, tempfile, time
from groupvit_nb.cli import keep_freed_memory
if sys.argv[1] == 'kept': assert keep_freed_memory()
from fastai.callback.core import Callback
from groupvit_nb.train import TrainConfig, build_run
sys.path.insert(0, sys.argv[2])
from demo_train_speed import flat_recipe
batch, steps = flat_recipe()['batch'], int(sys.argv[3])
cfg = flat_recipe(n_train=batch * steps, n_valid=16, epochs=1, warmup_epochs=0.1, save_every=0, no_progress=True,
                  out=tempfile.mkdtemp() + '/run')
class StepTimes(Callback):
    order = -100
    def before_fit(self): self.times, self.last = [], None
    def before_batch(self):
        now = time.perf_counter()
        if self.training and self.last is not None: self.times.append(now - self.last)
        self.last = now
learn, timer = build_run(TrainConfig(**cfg))[0], StepTimes()
learn.fit(1, cbs=[timer])
print(json.dumps([statistics.median(timer.times[3:]) * 1e3]))
'''


def child(code, *args):
    r = subprocess.run([sys.executable, '-c', code, *map(str, args)], capture_output=True, text=True)
    if r.returncode: sys.exit(f"malloc_speed.py: error: a child failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rounds', type=int, default=3); ap.add_argument('--steps', type=int, default=40)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    load0, res = os.getloadavg()[0], {'default': [], 'kept': []}
    for _ in range(a.rounds):
        for k in res: res[k].append(child(ENCODE, k) + child(TRAIN, k, here, a.steps))
    for k, rows in res.items():
        print(f"{k:7s} encode_image " + ', '.join(f"{ms:.1f} ms ({f:.0f} page faults)" for ms, f, _ in rows)
              + "; demo training step " + ', '.join(f"{s:.1f} ms" for *_, s in rows))
    print(f"threads {os.environ.get('OMP_NUM_THREADS', 'default')}; load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == '__main__': main()
