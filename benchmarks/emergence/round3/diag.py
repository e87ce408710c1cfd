import sys, torch, yaml, warnings, numpy as np, torch.nn.functional as F; warnings.filterwarnings('ignore')
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_shapes, _batches
from groupvit_nb.text import tokenize
import os; torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 2)))
s = yaml.safe_load(open(sys.argv[2])); m = GroupViT.from_pretrained(sys.argv[1]).eval()
ds = demo_shapes(200, 'valid', 0, s); names = list(ds.class_names); C = len(names) + 1
nobj = torch.tensor([len(ds.sample(i)['objects']) for i in range(len(ds))])
oconf = {k: torch.zeros(C, C, dtype=torch.long) for k in (1, 2, 3, 0)}; ng = []; top1 = 0
with torch.no_grad():
    ce = F.normalize(m.encode_text(tokenize([f'a photo of a {n}.' for n in names])), dim=-1)
    lo = 0
    for x, gt in _batches(ds, 100):
        out = m.encode_segments(x); A = None
        for asg in out['assignments']:
            a = asg['soft'].transpose(1, 2); A = a if A is None else A @ a
        h, w = out['grid']; S = A.shape[-1]
        amap = F.interpolate(A.transpose(1, 2).reshape(len(x), -1, h, w), size=x.shape[-2:], mode='bilinear', align_corners=False)
        hard = amap.argmax(1); ng += [len(u.unique()) for u in hard]
        ind = (hard.view(len(x), 1, -1) == torch.arange(S).view(1, S, 1)).float()
        cnt = torch.zeros(len(x), S, C).scatter_add_(2, gt.view(len(x), 1, -1).expand(-1, S, -1), ind)
        opred = torch.gather(cnt.argmax(-1), 1, hard.view(len(x), -1)).view_as(gt)
        for i in range(len(x)):
            for k in (0, int(nobj[lo + i])):
                oconf[k] += torch.bincount((gt[i] * C + opred[i]).flatten(), minlength=C * C).view(C, C)
        lo += len(x)
def miou(c):
    iou = c.diag() / (c.sum(0) + c.sum(1) - c.diag()).clamp(min=1); return round(iou[c.sum(1) > 0].mean().item(), 3)
print('DIAG', sys.argv[1], 'oracle all', miou(oconf[0]), 'by #obj', {k: miou(oconf[k]) for k in (1, 2, 3)}, 'groups/img', np.mean(ng))
