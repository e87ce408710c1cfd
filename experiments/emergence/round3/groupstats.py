import sys, os, torch, yaml, warnings, torch.nn.functional as F; warnings.filterwarnings('ignore')
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_shapes, _batches
from groupvit_nb.segment import patch_group_maps
from groupvit_nb.classes import class_embeddings
torch.set_num_threads(1)
s = yaml.safe_load(open(sys.argv[2])); m = GroupViT.from_pretrained(sys.argv[1]).eval()
ds = demo_shapes(100, 'valid', 0, s); names = list(ds.class_names); C = len(names) + 1
text = F.normalize(class_embeddings(m, names + ['background'], templates=s['templates'], cache=False), dim=-1)
rows = []
with torch.no_grad():
    for x, y in _batches(ds, 100):
        out = m.encode_segments(x)
        smap = F.interpolate(patch_group_maps(out['assignments'], out['grid'])[-1], size=x.shape[-2:], mode='bilinear', align_corners=False)
        hard = smap.argmax(1); S = smap.shape[1]
        sims = F.normalize(out['segment_emb'], dim=-1) @ text.T   # [B,S,C+1]
        img = F.normalize(out['image_emb'], dim=-1) @ text.T
        for b in range(len(x)):
            for g in range(S):
                pix = y[b][hard[b] == g]
                if len(pix) == 0: continue
                maj = torch.bincount(pix, minlength=C).argmax().item()
                rows.append((maj, sims[b, g].tolist()))
import numpy as np
print('logit_scale', m.logit_scale.exp().item())
for lab in range(C):
    r = np.array([v for mj, v in rows if mj == lab])
    if len(r) == 0: continue
    own = r[:, lab - 1].mean() if lab else float('nan')
    print(f"groups of {(['bg'] + names)[lab]:9s} n={len(r):4d} own-class cos {own:.3f}  max shape cos {r[:, :-1].max(1).mean():.3f}  'background' cos {r[:, -1].mean():.3f}  argmax=own {np.mean(r[:, :-1].argmax(1) == lab - 1) if lab else np.nan:.2f}")
