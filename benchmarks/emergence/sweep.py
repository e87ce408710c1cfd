"""Scratch sweep of the emergence search (segmentation from text on CPU): a plain-PyTorch loop over GroupViT
with the small-scale options as flags, evaluated every --eval_every steps on the cached validation images
(zero-shot mIoU at several background thresholds, the "oracle" mIoU of the grouping — each group labelled with its
majority ground-truth class — retrieval top-1 and groups in use). Every run of benchmarks/RESULTS.md
"emergence experiments" and of nbs/10_demo.ipynb's table came from this script.
Usage: python benchmarks/emergence/prep.py kc6s32 32 circle,square,triangle,star,heart,cross 1.5 24000 red,blue,green,yellow,pink,purple
       python benchmarks/emergence/sweep.py --name I --data $EMERGENCE_DIR/data_kc6s32.pt --size 32 --patch 4 --stem conv \
              --center 1 --cosine 10 --depths 2,0 --groups 8 --mil 1 --bs 128 --minutes 10
"""
import os
OUT = os.environ.get('EMERGENCE_DIR', 'runs/emergence')
import torch, torch.nn as nn, torch.nn.functional as F, time, math, argparse, json, random, numpy as np
from groupvit_nb.core import groupvit_tiny
from groupvit_nb.losses import GroupViTLoss
from groupvit_nb.text import tokenize
ap = argparse.ArgumentParser()
ap.add_argument('--name', default='exp'); ap.add_argument('--minutes', type=float, default=10)
ap.add_argument('--bs', type=int, default=128); ap.add_argument('--lr', type=float, default=1e-3)
ap.add_argument('--stem', default='linear'); ap.add_argument('--mil', type=float, default=0.0)
ap.add_argument('--same', type=int, default=1); ap.add_argument('--filter', type=int, default=1)
ap.add_argument('--patch', type=int, default=8); ap.add_argument('--groups', default='16,8')
ap.add_argument('--depths', default='2,2,1'); ap.add_argument('--width', type=int, default=128)
ap.add_argument('--threads', type=int, default=2); ap.add_argument('--size', type=int, default=64)
ap.add_argument('--eval_every', type=int, default=150); ap.add_argument('--tau', type=float, default=1.0)
ap.add_argument('--center', type=int, default=0); ap.add_argument('--k', type=int, default=3)
ap.add_argument('--cosine', type=float, default=0.0); ap.add_argument('--data', default=''); ap.add_argument('--shape_caps', type=int, default=0); ap.add_argument('--lse', type=int, default=0); ap.add_argument('--ml_weight', type=float, default=1.0); ap.add_argument('--gumbel', type=int, default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0); random.seed(0)
D = torch.load(a.data or f'{OUT}/data{a.size}.pt')
if a.shape_caps:  # captions that name only the shapes
    import random as _r
    def _cap(ns): return ('a ' + ', a '.join(ns[:-1]) + ' and a ' + ns[-1] if len(ns) > 1 else 'a ' + ns[0]) + '.'
    D['caps_tok'] = tokenize([_cap(ns) for ns in D['nouns']])
names = D['class_names']; kindset = set(names)
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) * 255; STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) * 255
norm = lambda x: (x.float() - MEAN) / STD
vocab = sorted({n for ns in D['nouns'] for n in ns})
ptok = {n: t for n, t in zip(vocab, tokenize([f'a photo of a {n}.' for n in vocab]))}
g = [int(x) for x in a.groups.split(',')]; dep = [int(x) for x in a.depths.split(',')]
model = groupvit_tiny(patch_size=a.patch, num_group_tokens=tuple(g) + (0,), num_output_groups=tuple(g), depths=tuple(dep),
                      embed_dim=a.width, img_size=a.size, gumbel_tau=a.tau, gumbel=bool(a.gumbel))
if a.stem == 'conv':
    C = a.width; layers = []; c_in = 3; n = int(math.log2(a.patch))
    for i in range(n):
        c_out = C if i == n - 1 else max(32, C // 2 ** (n - 1 - i))
        layers += [nn.Conv2d(c_in, c_out, 3, 2, 1)] + ([nn.BatchNorm2d(c_out), nn.GELU()] if i < n - 1 else [])
        c_in = c_out
    model.img_encoder.patch_embed.proj = nn.Sequential(*layers)
if a.center:
    from groupvit_nb import grouping
    aa_cls = grouping.AssignAttention
    def logits(self, groups, x):
        q = self.q_proj(groups); k = self.k_proj(x)
        q = q - q.mean(1, keepdim=True); k = k - k.mean(1, keepdim=True)
        if a.cosine: return a.cosine * F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        return (q @ k.transpose(-2, -1)) * self.scale
    aa_cls.logits = logits
crit = GroupViTLoss(multi_label_weight=a.ml_weight, same_prompt_positive=bool(a.same))
decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and 'token' not in n and 'pos_embed' not in n]
nodecay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and 'token' not in n and 'pos_embed' not in n)]
opt = torch.optim.AdamW([dict(params=decay, weight_decay=0.05), dict(params=nodecay, weight_decay=0.)], lr=a.lr)
N = len(D['imgs'])
def batch(idx):
    x = D['imgs'][idx]
    flip = torch.rand(len(idx)) < 0.5; x[flip] = x[flip].flip(-1)
    toks = []; pids = []
    for i in idx.tolist():
        ns = [n for n in D['nouns'][i] if (n in kindset or not a.filter)]
        pick = random.sample(ns, min(a.k, len(ns)))
        t = [D['caps_tok'][i]] + [ptok[n] for n in pick] + [D['caps_tok'][i]] * (a.k - len(pick))
        toks.append(torch.stack(t))
    return norm(x), torch.stack(toks)
from groupvit_nb.losses import prompt_ids_from_tokens
def mil_loss(seg, prompt, scale):
    seg = F.normalize(seg, dim=-1); B, K, Dd = prompt.shape; pr = F.normalize(prompt, dim=-1).reshape(B * K, Dd)
    sims = torch.einsum('bsd,pd->bsp', seg, pr) * scale.exp().clamp(max=100)
    sims = sims.logsumexp(1) if a.lse else sims.max(1).values   # [B, BK]
    tgt = torch.zeros(B, B * K); 
    for b in range(B): tgt[b, b * K:(b + 1) * K] = 1 / K
    l1 = -(tgt * sims.log_softmax(-1)).sum(-1).mean()
    l2 = F.cross_entropy(sims.t(), torch.arange(B).repeat_interleave(K))
    return 0.5 * (l1 + l2)
@torch.no_grad()
def evaluate(thrs=(0.0, 0.3, 0.5, 0.7, 0.9)):
    model.eval()
    C = len(names) + 1
    cls = tokenize([f'a photo of a {n}.' for n in names])
    ce = F.normalize(model.encode_text(cls), dim=-1)
    confs = {t: torch.zeros(C, C, dtype=torch.long) for t in thrs}; oconf = torch.zeros(C, C, dtype=torch.long)
    top1 = 0; ng = []
    for s in range(0, len(D['vimgs']), 100):
        x = norm(D['vimgs'][s:s + 100]); out = model.encode_segments(x)
        te = F.normalize(model.encode_text(D['vtok'][s:s + 100]), dim=-1); ie = F.normalize(out['image_emb'], dim=-1)
        top1 += ((ie @ te.T).argmax(1) == torch.arange(len(x))).sum().item()
        A = None
        for asg in out['assignments']:
            m = asg['soft'].transpose(1, 2)
            A = m if A is None else A @ m
        h, w = out['grid']; S = A.shape[-1]
        ng.append(float(np.mean([a.unique().numel() for a in A.argmax(-1)])))
        seg = F.normalize(out['segment_emb'], dim=-1)
        logit = model.multi_label_logit_scale.exp().clamp(max=100) * seg @ ce.T
        img_logit = ie @ ce.T; top = img_logit.topk(5, -1).indices
        mask = torch.full_like(img_logit, float('-inf')).scatter(1, top, 0.)
        prob = (logit + mask[:, None]).softmax(-1)
        amap = A.transpose(1, 2).reshape(len(x), -1, h, w)
        amap = F.interpolate(amap, size=x.shape[-2:], mode='bilinear', align_corners=False)
        hard = amap.argmax(1)  # [B,H,W]
        gt = D['vmasks'][s:s + 100]
        pix = torch.einsum('bshw,bsc->bchw', F.one_hot(hard, S).permute(0, 3, 1, 2).float(), prob)
        best, lab = pix.max(1)
        for t in thrs:
            pred = torch.where(best < t, 0, lab + 1)
            confs[t] += torch.bincount((gt * C + pred).flatten(), minlength=C * C).view(C, C)
        # oracle: each segment gets the majority gt label of its pixels
        ind = (hard.view(len(x), 1, -1) == torch.arange(S).view(1, S, 1)).float()
        cnt = torch.zeros(len(x), S, C).scatter_add_(2, gt.view(len(x), 1, -1).expand(-1, S, -1), ind)
        olab = cnt.argmax(-1)  # [B,S]
        opred = torch.gather(olab, 1, hard.view(len(x), -1)).view_as(gt)
        oconf += torch.bincount((gt * C + opred).flatten(), minlength=C * C).view(C, C)
    def miou(conf):
        iou = conf.diag() / (conf.sum(0) + conf.sum(1) - conf.diag()).clamp(min=1)
        return iou[conf.sum(1) > 0].mean().item()
    model.train()
    bg = torch.zeros_like(oconf); bg[:, 0] = oconf.sum(1)
    r = {f'miou@{t}': round(miou(c), 4) for t, c in confs.items()}
    r.update(oracle=round(miou(oconf), 4), bg_baseline=round(miou(bg), 4), top1=top1 / len(D['vimgs']), groups_used=float(np.mean(ng)))
    return r
t0 = time.time(); step = 0; log = []
total_steps_est = None
warm = 100
model.train()
while time.time() - t0 < a.minutes * 60:
    lr = a.lr * min(1, (step + 1) / warm)
    for gp in opt.param_groups: gp['lr'] = lr
    idx = torch.randint(0, N, (a.bs,))
    x, tok = batch(idx)
    if True:
        B_, T_, L_ = tok.shape
        uniq, inv = torch.unique(tok[:, 1:].reshape(-1, L_), dim=0, return_inverse=True)
        te = model.encode_text(torch.cat([tok[:, 0], uniq]))
        text = torch.cat([te[:B_, None], te[B_:][inv].view(B_, T_ - 1, -1)], 1)
        out = model.encode_segments(x) if a.mil > 0 else dict(image_emb=model.encode_image(x))
        total, parts = crit(out['image_emb'], text[:, 0], text[:, 1:], model.logit_scale, model.multi_label_logit_scale, prompt_ids_from_tokens(tok[:, 1:]))
        if a.mil > 0:
            ml = mil_loss(out['segment_emb'], text[:, 1:], model.multi_label_logit_scale)
            total = total + a.mil * ml; parts['mil'] = ml.detach()
    opt.zero_grad(); total.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0); opt.step()
    with torch.no_grad(): model.logit_scale.clamp_(0, math.log(100)); model.multi_label_logit_scale.clamp_(0, math.log(100))
    step += 1
    if step % 25 == 0: print(f"{step} {time.time()-t0:.0f}s loss {total.item():.3f} " + ' '.join(f"{k} {float(v):.3f}" for k, v in parts.items()), flush=True)
    if step % a.eval_every == 0:
        r = evaluate(); r.update(step=step, minutes=(time.time() - t0) / 60); log.append(r); print('EVAL', json.dumps(r), flush=True)
r = evaluate(); r.update(step=step, minutes=(time.time() - t0) / 60); print('FINAL', json.dumps(r), flush=True)
torch.save(model.state_dict(), f'{OUT}/{a.name}.pt')

