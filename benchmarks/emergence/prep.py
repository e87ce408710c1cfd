"""Cache a SyntheticShapes world for sweep.py: name size kinds object_scale n_train [kind colours]."""
import os
OUT = os.environ.get('EMERGENCE_DIR', 'runs/emergence')
import torch, numpy as np, sys, time, json
from groupvit_nb.data import SyntheticShapes
from groupvit_nb.text import extract_nouns, tokenize
name, size, kinds, scale, N = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(','), float(sys.argv[4]), int(sys.argv[5])
TPL = ('{objects}.', 'there is {objects}.', 'we can see {objects}.', '{objects} on a plain background.' if False else '{objects} together.')
kw = dict(kinds=kinds, object_scale=scale, templates=TPL)
if len(sys.argv) > 6: kw['kind_colours'] = dict(zip(kinds, sys.argv[6].split(',')))
NV = 400
def build(ds, n):
    ds.render(2, progress=False)
    imgs = torch.stack([torch.from_numpy(ds.sample(i)['image']).permute(2, 0, 1) for i in range(n)])
    caps = [ds.sample(i)['caption'] for i in range(n)]
    ms = torch.stack([torch.from_numpy(ds.sample(i)['mask']) for i in range(n)])
    return imgs, caps, ms
t = time.time()
tr = build(SyntheticShapes(N, size, split='train', seed=0, **kw), N)
va = build(SyntheticShapes(NV, size, split='valid', seed=0, **kw), NV)
print('gen', time.time() - t, 'fg', (va[2] > 0).float().mean().item())
ext = [extract_nouns(c) for c in tr[1]]
torch.save(dict(imgs=tr[0], caps=tr[1], caps_tok=tokenize(tr[1]), nouns=ext, vimgs=va[0], vcaps=va[1], vmasks=va[2],
                vtok=tokenize(va[1]), class_names=kinds), f'{OUT}/data_{name}.pt')
print('done', time.time() - t, ext[:5], tr[1][:5])
