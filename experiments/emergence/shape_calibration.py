"""How learnable are the demo's shapes at all? Supervised 6-way classification of single-object images of a
`SyntheticShapes` world, with plain cross-entropy: the demo's image encoder (`--model groupvit`) or a small CNN
(`--model cnn`, four 3×3 conv layers and global average pooling). Prints test accuracy on 300 images every 50 steps.

    python experiments/emergence/shape_calibration.py --model cnn --steps 600 --max-rotation 20 --textures plain
    python experiments/emergence/shape_calibration.py --model groupvit --stem cnn --lr 3e-4 --warmup 50 --max-rotation 0 --textures plain

Contrastive training from captions can only be slower than this, so it bounds what a run of N steps can learn."""
import argparse, time, warnings
import torch, torch.nn as nn, yaml
from PIL import Image
from groupvit_nb.core import groupvit_tiny
from groupvit_nb.shapes import SyntheticShapes
from groupvit_nb.segment import normalize_image

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--model', choices=['cnn', 'groupvit', 'groupvit-cnn-stem', 'vit'], default='cnn',
               help="groupvit-cnn-stem: the demo's encoder with the CNN's four conv layers as its patch embedding; "
                    "vit: the demo's encoder without grouping (its blocks, no group tokens)")
p.add_argument('--steps', type=int, default=600)
p.add_argument('--batch', type=int, default=64)
p.add_argument('--lr', type=float, default=1e-3)
p.add_argument('--warmup', type=int, default=0, help='steps of linear learning-rate warm-up')
p.add_argument('--stem', choices=['linear', 'conv', 'cnn'], help="the encoder's patch_stem (default: the config's)")
p.add_argument('--max-rotation', type=float, default=180., help='degrees from upright (180: any angle)')
p.add_argument('--textures', default='plain,striped,dotted,checkered')
p.add_argument('--config', default='experiments/emergence/round4/R1.yaml', help='world and architecture of a demo run')
a = p.parse_args()
warnings.filterwarnings('ignore'); torch.set_num_threads(1); torch.manual_seed(0)
cfg = yaml.safe_load(open(a.config))
world = {**cfg['synthetic'], 'max_objects': 1, 'textures': a.textures.split(','), 'max_rotation': a.max_rotation}
size, kinds = cfg['image_size'], len(world['kinds'])
train = SyntheticShapes(a.batch * a.steps, size, 'train', 0, **world).render(1, progress=False)
test = SyntheticShapes(300, size, 'test', 0, **world)

def batch(ds, idx):
    smp = [ds.sample(i) for i in idx]
    return (torch.stack([normalize_image(Image.fromarray(s['image'])) for s in smp]),
            torch.tensor([s['objects'][0]['class_id'] - 1 for s in smp]))

blk = lambda i, o, s, act=True: [nn.Conv2d(i, o, 3, s, 1)] + ([nn.BatchNorm2d(o), nn.GELU()] if act else [])
if a.model == 'cnn':
    net = nn.Sequential(*blk(3, 32, 1), *blk(32, 64, 2), *blk(64, 128, 2), *blk(128, 128, 1),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, kinds))
else:
    arch = dict(cfg['arch'], depths=(cfg['arch']['depths'][0],), num_group_tokens=(0,), num_output_groups=()) if a.model == 'vit' else cfg['arch']
    if a.stem: arch = dict(arch, patch_stem=a.stem)
    enc = groupvit_tiny(img_size=size, **arch).img_encoder
    if a.model == 'groupvit-cnn-stem':  # patch 4: two stride-2 layers, like the CNN's first four
        enc.patch_embed.proj = nn.Sequential(*blk(3, 32, 1), *blk(32, 64, 2), *blk(64, 128, 2), *blk(128, enc.width, 1, False))
    net = nn.Sequential(enc, nn.Linear(enc.width, kinds))
opt = torch.optim.AdamW(net.parameters(), a.lr)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1., (s + 1) / a.warmup) if a.warmup else 1.)
xt, yt = batch(test, range(300))
t0 = time.time()
for s in range(a.steps):
    x, y = batch(train, range(s * a.batch, (s + 1) * a.batch))
    loss = nn.functional.cross_entropy(net(x), y)
    opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    if (s + 1) % 50 == 0:
        net.eval()
        with torch.no_grad(): acc = (net(xt).argmax(1) == yt).float().mean().item()
        net.train()
        print(f'{a.model} step {s + 1}: loss {loss.item():.3f}, test accuracy {acc:.3f} ({time.time() - t0:.0f} s)', flush=True)
