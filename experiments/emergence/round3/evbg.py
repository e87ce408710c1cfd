# evaluate with 'background' as a named class (optionally also the threshold)
import sys, os, torch, yaml, warnings; warnings.filterwarnings('ignore')
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_shapes, _batches
from groupvit_nb.segment import window_scores
from groupvit_nb.classes import class_embeddings
from groupvit_nb.eval import SegmentationMetric
torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
s = yaml.safe_load(open(sys.argv[2])); m = GroupViT.from_pretrained(sys.argv[1]).eval()
ds = demo_shapes(200, 'valid', 0, s); names = list(ds.class_names)
text = class_embeddings(m, ['background', *names], templates=s['templates'], cache=False)
res = {}
for t in (None, 0.2, 0.5, 0.9):
    met = SegmentationMetric(['background', *names])
    with torch.no_grad():
        for x, y in _batches(ds, 100):
            sc = window_scores(m, x, text, background=t is not None, bg_thresh=t or 0.)
            sc = torch.cat([torch.maximum(sc[:, :1], sc[:, 1:2]), sc[:, 2:]], 1)
            met.update(sc.argmax(1), y)
    res[t] = round(met.compute()['miou'], 3)
print('EVALBG', sys.argv[1], res)
