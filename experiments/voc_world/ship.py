"""Make `groupvit_nb/demo/voc/` from a finished run of the VOC world: the model with its zero-shot settings (rule chosen
on the world's valid/), the world's description, the training config, and eval.json with the figures that
`groupvit_demo --world voc` reproduces (200 test scenes per artist).

    python experiments/voc_world/ship.py RUN_FOLDER WORLD_FOLDER "<the training command>" "<machine, threads, load>"
"""
import json, sys, warnings
from pathlib import Path
import yaml
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_dir, finish_voc_model, run_voc_demo

run, world, command, machine = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
out = demo_dir()/'voc'
weights = run/'final.pth' if (run/'final.pth').exists() else run/'checkpoints'/'last.pth'
warnings.simplefilter('ignore')
best = finish_voc_model(GroupViT.from_pretrained(weights), world, out)
cfg = yaml.safe_load((run/'config.yaml').read_text())
steps = sum(1 for _ in open(run/'steps.csv')) - 1
ship = dict(bg_mode=best['bg_mode'], bg_thresh=best['bg_thresh'], valid_miou=best['miou'],
            chosen_on=f"{len(list((world/'valid'/'JPEGImages').iterdir()))} validation scenes of the training artists",
            training=dict(steps=steps, planned_steps=cfg['epochs'] * (json.loads((world/'world.json').read_text())['n_train'] // cfg['batch']),
                          seed=cfg['seed'], machine=machine, command=command, weights=weights.name))
(out/'eval.json').write_text(json.dumps(ship, indent=2))
m = run_voc_demo(run/'ship_check', 200, progress=False)           # the figures a user's groupvit_demo --world voc prints
ship.update(own=m['own'], held_out=m['held_out'], open_vocabulary=m['open_vocabulary'], images=200)
(out/'eval.json').write_text(json.dumps(ship, indent=2))
print(json.dumps({k: v for k, v in ship.items()}, indent=1)[:3000])
