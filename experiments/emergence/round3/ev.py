import sys, torch, json, yaml, warnings; warnings.filterwarnings('ignore')
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_shapes, shapes_miou, background_baseline
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
s = yaml.safe_load(open(sys.argv[2]))
m = GroupViT.from_pretrained(sys.argv[1])
ds = demo_shapes(200, 'valid', 0, s)
res = shapes_miou(m, ds, [0.1, 0.2, 0.3, 0.5, 0.7, 0.9], templates=s['templates'])
print('EVAL', sys.argv[1], 'bg', round(background_baseline(ds)['miou'], 3), [(r['bg_thresh'], round(r['miou'], 3)) for r in res], flush=True)
