import sys, torch, yaml, warnings; warnings.filterwarnings('ignore')
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_shapes, tune_bg_thresh, shapes_miou, background_baseline
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
s = yaml.safe_load(open(sys.argv[2])); m = GroupViT.from_pretrained(sys.argv[1]).eval()
thr = tune_bg_thresh(m, demo_shapes(100, 'valid', 0, s), grid=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95), templates=s['templates'])
t = demo_shapes(200, 'test', 0, s)
r = shapes_miou(m, t, thr, templates=s['templates']); bg = background_baseline(t)['miou']
print('TEST', sys.argv[1], 'thr', thr, 'miou', round(r['miou'], 3), 'bg', round(bg, 3), 'ratio', round(r['miou'] / bg, 2), {k: round(v, 3) for k, v in r['iou'].items()})
