"Grouping oracle on 200 validation images: each final group labelled with the majority ground-truth class of its pixels (all images, and split by objects per image), and the groups in use."
import os, sys, torch, yaml, warnings, numpy as np, torch.nn.functional as F; warnings.filterwarnings('ignore')
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_shapes, _batches
from groupvit_nb.segment import patch_group_maps
from groupvit_nb.eval import SegmentationMetric
torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
s = yaml.safe_load(open(sys.argv[2])); m = GroupViT.from_pretrained(sys.argv[1]).eval()
ds = demo_shapes(200, 'valid', 0, s); C = len(ds.class_names) + 1
nobj = [len(ds.sample(i)['objects']) for i in range(len(ds))]
oracle = {k: SegmentationMetric(['background', *ds.class_names]) for k in (0, 1, 2, 3)}  # 0: all images
ng, lo = [], 0
with torch.no_grad():
    for x, gt in _batches(ds, 100):
        out = m.encode_segments(x)
        smap = patch_group_maps(out['assignments'], out['grid'])[-1]
        hard = F.interpolate(smap, size=x.shape[-2:], mode='bilinear', align_corners=False).argmax(1)  # as window_scores
        S = smap.shape[1]; ng += [len(u.unique()) for u in hard]
        ind = (hard.view(len(x), 1, -1) == torch.arange(S).view(1, S, 1)).float()
        cnt = torch.zeros(len(x), S, C).scatter_add_(2, gt.view(len(x), 1, -1).expand(-1, S, -1), ind)
        opred = torch.gather(cnt.argmax(-1), 1, hard.view(len(x), -1)).view_as(gt)
        for i in range(len(x)):
            for k in (0, nobj[lo + i]): oracle[k].update(opred[i], gt[i])
        lo += len(x)
r = {k: round(v.compute()['miou'], 3) for k, v in oracle.items()}
print('DIAG', sys.argv[1], 'oracle all', r[0], 'by #obj', {k: r[k] for k in (1, 2, 3)}, 'groups/img', np.mean(ng))
