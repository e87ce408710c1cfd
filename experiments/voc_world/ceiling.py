"""How hard is it to recognise one artist's drawings after training on others? A supervised bound for the VOC world.

A small CNN (6 conv layers) learns the 19 drawn VOC classes from single drawings of the training artists pasted on the
world's backgrounds (random length 60-95 % of the crop, flips, turns up to 15 degrees), with labels — more than
GroupViT ever gets. It is then tested on 1,000 crops of each artist. Chance is 1/19 = 0.053.

    python experiments/voc_world/ceiling.py noto+symbola none 48 600     # training artists, augmentation, crop size, steps
"""
import os, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from groupvit_nb.world import ARTISTS, VOC_OBJECTS, available_artists, background, glyph, sprite

CLASSES = list(VOC_OBJECTS)

def drawings_of(artists):
    "(class index, artist, drawing) of every VOC emoji each artist has drawn."
    return [(ci, a, g) for a in artists for ci, (em, _) in enumerate(VOC_OBJECTS.values())
            for e in em if (g := glyph(a, e)) is not None]

def crop(rng, item, size, aug):
    "One drawing on a random background, as a [3, size, size] tensor in 0..1, augmented by `aug`."
    _, artist, g = item
    img = background(rng, size, size)
    sp = sprite(g, rng, ARTISTS[artist]['ink'], rng.uniform(.6, .95) * size, rng.random() < .5, rng.uniform(-15, 15))
    y0, x0 = rng.integers(0, size - sp.shape[0] + 1), rng.integers(0, size - sp.shape[1] + 1)
    win = img[y0:y0 + sp.shape[0], x0:x0 + sp.shape[1]]
    img[y0:y0 + sp.shape[0], x0:x0 + sp.shape[1]] = win * (1 - sp[..., 3:]) + sp[..., :3] * sp[..., 3:]
    x = torch.from_numpy(img).permute(2, 0, 1) / 255
    r = rng.random()
    if aug == 'huegray' and r < 1 / 3: x = x.mean(0, keepdim=True).expand(3, -1, -1)          # grey
    elif aug == 'huegray' and r < 2 / 3: x = x[torch.from_numpy(rng.permutation(3))]          # channels swapped
    return x

def cnn(n_classes):
    layers, c = [], 3
    for i, o in enumerate([32, 32, 64, 64, 128, 128]):
        layers += [nn.Conv2d(c, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()] + ([nn.MaxPool2d(2)] if i % 2 else [])
        c = o
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_classes))

def run(train_artists, test_artists, size=48, steps=600, aug='none', seed=0, batch=64):
    rng = np.random.default_rng(seed); torch.manual_seed(seed)
    train = drawings_of(train_artists)
    m = cnn(len(CLASSES))
    opt = torch.optim.AdamW(m.parameters(), 2e-3, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    for _ in range(steps):
        idx = rng.integers(0, len(train), batch)
        x = torch.stack([crop(rng, train[i], size, aug) for i in idx])
        loss = F.cross_entropy(m(x), torch.tensor([train[i][0] for i in idx]))
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    m.eval(); out = {}
    for a in test_artists:
        test, r = drawings_of([a]), np.random.default_rng(123)
        idx = r.integers(0, len(test), 1000)
        with torch.no_grad():
            x = torch.stack([crop(r, test[i], size, 'none') for i in idx])
            out[a] = (m(x).argmax(1) == torch.tensor([test[i][0] for i in idx])).float().mean().item()
    return out

if __name__ == '__main__':
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    train, aug, size, steps = sys.argv[1].split('+'), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    t = time.time()
    r = run(train, available_artists(), size, steps, aug)
    print(f"train {'+'.join(train)} aug {aug} size {size} steps {steps}: "
          + ' '.join(f'{k} {v:.2f}' for k, v in r.items()), f'({time.time() - t:.0f} s)', flush=True)
