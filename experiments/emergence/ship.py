"""Make a trained run the shipped demo model: groupvit_nb/demo/ gets its weights (float16), the recipe it was trained
with (train.yaml), its logs, and eval.json / zero_shot.json with the background rule chosen on 100 validation images.
Usage: python experiments/emergence/ship.py RUN_FOLDER RECIPE.yaml MINUTES "MACHINE" [THREADS]
(RUN_FOLDER written by `OMP_NUM_THREADS=THREADS groupvit_train --config RECIPE.yaml --seed S --out RUN_FOLDER`; MINUTES:
its measured wall time; THREADS: the thread count it ran with, 1 by default)
"""
import json, shutil, sys
from pathlib import Path
import torch, yaml
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_shapes, tune_background, shapes_miou

run, recipe, minutes, machine = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 1
dest = Path(__file__).resolve().parents[2] / 'groupvit_nb' / 'demo'
used = yaml.safe_load((run / 'config.yaml').read_text())
torch.set_num_threads(1)
GroupViT.from_pretrained(run / 'final.pth').save_pretrained(dest, dtype=torch.float16)
model = GroupViT.from_pretrained(dest).eval()                  # the float16-rounded weights, as users load them
text = recipe.read_text().split('\n')
body = '\n'.join(l for l in text if not l.startswith('seed:'))
command = f'OMP_NUM_THREADS={threads} groupvit_train --config groupvit_nb/demo/train.yaml --out runs/demo'
(dest / 'train.yaml').write_text(f"# groupvit_demo's model: {command}\n{body.rstrip()}\nseed: {used['seed']}\n")
for f in ('steps.csv', 'epochs.csv'): shutil.copy(run / f, dest / f)
tuned = tune_background(model, demo_shapes(100, 'valid', 0, used), templates=used['templates'])
res = shapes_miou(model, demo_shapes(200, 'test', 0, used), tuned['bg_thresh'], templates=used['templates'], bg_mode=tuned['bg_mode'])
(dest / 'eval.json').write_text(json.dumps(dict(
    bg_mode=tuned['bg_mode'], bg_thresh=tuned['bg_thresh'], valid_miou=tuned['valid_miou'], miou=res['miou'], iou=res['iou'],
    chosen_on='100 validation images (split valid, seed 0)', evaluated_on='200 test images (split test, seed 0)',
    training=dict(steps=sum(1 for _ in open(run / 'steps.csv')) - 1, minutes=minutes, machine=machine, command=command)), indent=2))
(dest / 'zero_shot.json').write_text(json.dumps(dict(bg_thresh=tuned['bg_thresh'], templates=used['templates'],
                                                     bg_mode=tuned['bg_mode']), indent=2))
print(f"shipped {run} (seed {used['seed']}): {tuned['bg_mode']} {tuned['bg_thresh']}, test mIoU {res['miou']:.3f}")
