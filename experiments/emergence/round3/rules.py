import sys, os, torch, yaml, warnings, torch.nn.functional as F; warnings.filterwarnings('ignore')
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_shapes, _batches
from groupvit_nb.segment import patch_group_maps, group_class_scores
from groupvit_nb.classes import class_embeddings
from groupvit_nb.eval import SegmentationMetric
torch.set_num_threads(2)
s = yaml.safe_load(open(sys.argv[2])); m = GroupViT.from_pretrained(sys.argv[1]).eval()
ds = demo_shapes(200, 'valid', 0, s); names = list(ds.class_names)
text = class_embeddings(m, names, templates=s['templates'], cache=False)
tn = F.normalize(text, dim=-1)
TH = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
rules = ['paper', 'scale100', 'dual', 'dual100']
mets = {(r, t): SegmentationMetric(['background', *names]) for r in rules for t in TH}
with torch.no_grad():
    for x, y in _batches(ds, 100):
        out = m.encode_segments(x)
        smap = F.interpolate(patch_group_maps(out['assignments'], out['grid'])[-1], size=x.shape[-2:], mode='bilinear', align_corners=False)
        group = smap.argmax(1)  # [B,H,W]
        cos = F.normalize(out['segment_emb'], dim=-1) @ tn.T   # [B,S,C]
        sc = {}
        sc['paper'] = group_class_scores(out['segment_emb'], out['image_emb'], text, m.logit_scale, 5)
        sc['scale100'] = group_class_scores(out['segment_emb'], out['image_emb'], text, torch.tensor(100.).log(), 5)
        for name, scale in (('dual', m.logit_scale.exp()), ('dual100', 100.)):
            # only groups that own pixels compete
            used = torch.stack([torch.bincount(g.flatten(), minlength=cos.shape[1]) > 0 for g in group])  # [B,S]
            lg = (scale * cos).masked_fill(~used[..., None], float('-inf'))
            sc[name] = lg.softmax(-1).nan_to_num() * lg.softmax(1).nan_to_num()
        for r in rules:
            pix = torch.gather(sc[r], 1, group.flatten(1)[..., None].expand(-1, -1, len(names)))  # [B,HW,C]
            best, lab = pix.max(-1)
            for t in TH:
                pred = torch.where(best < t, 0, lab + 1).view_as(y)
                mets[(r, t)].update(pred, y)
for r in rules:
    print(os.path.basename(os.path.dirname(sys.argv[1])), r, ' '.join(f"{t}:{mets[(r, t)].compute()['miou']:.3f}" for t in TH), flush=True)
