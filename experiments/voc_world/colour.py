"""How much of a VOC-world model's answer is colour: its test folders copied with every image turned grey, or with
every hue turned half-way round the colour wheel (shape, shading and layout kept), then scored with `groupvit_eval`
as the shipped model is scored (the model's own settings). A copy re-encoded unchanged is the control.

    python experiments/voc_world/colour.py MODEL WORLD_FOLDER OUT_FOLDER [SPLIT ...]   (default splits: test test_emojione)
"""
import json, shutil, sys, warnings
from pathlib import Path
from PIL import Image
from groupvit_nb.demo import eval_folder

KINDS = {
    'unchanged': lambda im: im,
    'grey': lambda im: im.convert('L').convert('RGB'),
    'hue turned 180°': lambda im: Image.merge('HSV', (lambda h, s, v: (h.point(lambda x: (x + 128) % 256), s, v))(
        *im.convert('HSV').split())).convert('RGB'),
}

model, world, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
splits = sys.argv[4:] or ['test', 'test_emojione']
warnings.simplefilter('ignore')
res = {}
for split in splits:
    for kind, change in KINDS.items():
        dst = out/f"{split}_{kind.split()[0]}"
        if not dst.exists():
            shutil.copytree(world/split, dst)
            for p in (dst/'JPEGImages').glob('*.jpg'): change(Image.open(p).convert('RGB')).save(p, quality=95)
        res[f'{split}, {kind}'] = round(eval_folder(model, dst)['miou'], 4)
        print(f'{split}, {kind}: mIoU {res[f"{split}, {kind}"]:.4f}', flush=True)
(out/'colour.json').write_text(json.dumps(res, indent=1))
