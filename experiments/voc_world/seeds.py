"""Score finished runs of the shipped recipe exactly as the shipped model is scored: the background rule chosen on the
world's valid/ (`finish_voc_model`), then `groupvit_eval --dataset voc --root FOLDER --weights MODEL` on each test
folder (own artists, each held-out artist) and the open-vocabulary folder; and the zero-shot classification probe of
`evaluate.py` (single objects, 200 per artist). Writes RUN/model and RUN/voc_eval.json.

    python experiments/voc_world/seeds.py WORLD_FOLDER RUN_FOLDER [RUN_FOLDER ...]
"""
import json, sys, time, warnings
from pathlib import Path
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import finish_voc_model, eval_folder, open_vocabulary_miou
sys.path.insert(0, str(Path(__file__).parent))
from evaluate import probe

world, runs = Path(sys.argv[1]), [Path(r) for r in sys.argv[2:]]
info = json.loads((world/'world.json').read_text())
warnings.simplefilter('ignore')
for run in runs:
    t0 = time.time()
    weights = run/'final.pth' if (run/'final.pth').exists() else run/'checkpoints'/'last.pth'
    best = finish_voc_model(GroupViT.from_pretrained(weights), world, run/'model')
    res = {name: eval_folder(run/'model', world/name)
           for name in ['test', *(f'test_{a}' for a in info['test_artists'])]}
    model = GroupViT.from_pretrained(run/'model').eval()
    ov = open_vocabulary_miou(model, world/'open')
    pr = probe(model, (*info['train_artists'], *info['test_artists']), n=200, size=info['size'])
    steps = sum(1 for _ in open(run/'steps.csv')) - 1
    out = dict(run=run.name, weights=weights.name, steps=steps, seed=json.loads((run/'run.json').read_text())['seed'],
               rule=dict(bg_mode=best['bg_mode'], bg_thresh=best['bg_thresh'], valid_miou=round(best['miou'], 4)),
               own=round(res['test']['miou'], 4),
               held_out={k[len('test_'):]: round(v['miou'], 4) for k, v in res.items() if k != 'test'},
               open10=round(ov['miou'], 4), images=res['test']['images'], probe={a: round(v, 3) for a, v in pr.items()},
               own_classes_at_least_0_2=sorted(c for c, v in res['test']['iou'].items() if c != 'background' and v >= 0.2),
               seconds=round(time.time() - t0))
    (run/'voc_eval.json').write_text(json.dumps(out, indent=1))
    print(json.dumps(out))
