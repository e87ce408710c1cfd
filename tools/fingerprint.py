"""Fingerprints of what the package computes, to show that a change of structure (a split module, a moved definition, a
renamed chapter) changed no number: the shipped files byte for byte, a few training steps of the shapes recipe and of
the paper's recipe through `groupvit_train` (every weight of the result and every logged loss), and the zero-shot scores
of both shipped models on fixed images through `segment`.

    python tools/fingerprint.py --out before.json          # on the old code
    python tools/fingerprint.py --compare before.json      # on the new code: exit 1 and the differing keys if any
"""
import argparse, hashlib, json, os, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MICRO_ARCH = '{embed_dim: 64, num_heads: 2, depths: [1, 1, 1], text_width: 64, text_layers: 2, proj_hidden: 256, proj_dim: 64}'
RUNS = {  # name → groupvit_train arguments (a few steps on the built-in captioned shapes, one seed)
    'shapes_recipe': ['--config', str(ROOT/'groupvit_nb'/'demo'/'train.yaml'), '--data', 'synthetic', '--n-train', '32',
                      '--n-valid', '16', '--epochs', '2', '--curriculum-epochs', '1', '--batch', '16'],
    'paper_recipe': ['--data', 'synthetic', '--preset', 'tiny', '--arch', MICRO_ARCH, '--image-size', '32', '--n-train', '48',
                     '--n-valid', '16', '--epochs', '2', '--warmup-epochs', '1', '--batch', '16'],
}


def sha(b:bytes) -> str: return hashlib.sha256(b).hexdigest()[:16]


def shipped_files() -> dict:
    "Every file the package ships under groupvit_nb/demo, byte for byte."
    return {str(p.relative_to(ROOT)): sha(p.read_bytes()) for p in sorted((ROOT/'groupvit_nb'/'demo').rglob('*')) if p.is_file()}


def tensors(sd:dict) -> str:
    "One hash of a state dict's names, shapes, dtypes and values."
    import torch
    h = hashlib.sha256()
    for k in sorted(sd):
        v = sd[k]
        if isinstance(v, torch.Tensor): h.update(f'{k}{tuple(v.shape)}{v.dtype}'.encode()); h.update(v.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


def train_runs() -> dict:
    "Each run of RUNS: the hash of its final weights and of its step log (steps.csv)."
    import torch
    out = {}
    for name, args in RUNS.items():
        with tempfile.TemporaryDirectory() as d:
            cmd = [sys.executable, '-m', 'groupvit_nb.train', *args, '--seed', '0', '--no-progress', '--out', f'{d}/run']
            r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS='1'))
            if r.returncode: sys.exit(f"fingerprint.py: error: {name} failed:\n{r.stderr[-2000:]}")
            ck = torch.load(f'{d}/run/final.pth', map_location='cpu', weights_only=False)
            rows = Path(f'{d}/run/steps.csv').read_text().splitlines()   # epoch, step, each loss term, lr, temperatures
            out[name] = dict(weights=tensors(ck.get('model', ck)), losses=sha('\n'.join(rows).encode()),
                             steps=len(rows) - 1)
    return out


def segment_scores() -> dict:
    "Zero-shot scores of both shipped models on fixed images (the shapes model on its own test shapes, the VOC-world model on noise and a drawn scene)."
    import numpy as np, torch
    from PIL import Image
    from groupvit_nb.core import GroupViT
    from groupvit_nb.segment import segment
    out = {}
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, (72, 96, 3), dtype=np.uint8))
    for name, folder, classes in [('shapes', 'groupvit_nb/demo', ['circle', 'square', 'triangle', 'star', 'heart', 'cross']),
                                  ('voc', 'groupvit_nb/demo/voc', ['dog', 'cat', 'bus', 'person', 'sofa'])]:
        model = GroupViT.from_pretrained(ROOT/folder).eval()
        labels, scores = segment(model, [noise, noise.transpose(Image.FLIP_LEFT_RIGHT)], classes, return_scores=True)
        out[name] = dict(labels=sha(np.ascontiguousarray(np.stack([np.asarray(l) for l in labels])).tobytes()),
                         scores=sha(torch.stack([torch.as_tensor(s) for s in scores]).float().numpy().tobytes()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', help='write the fingerprints to this JSON file (default: print them)')
    ap.add_argument('--compare', help='a JSON file of earlier fingerprints: exit 1 if any differs')
    a = ap.parse_args()
    import torch; torch.set_num_threads(1)
    fp = dict(shipped=shipped_files(), train=train_runs(), segment=segment_scores())
    text = json.dumps(fp, indent=1)
    if a.out: Path(a.out).write_text(text)
    if not a.compare:
        if not a.out: print(text)
        return
    old = json.loads(Path(a.compare).read_text())
    flat = lambda d, p='': {k2: v2 for k, v in d.items() for k2, v2 in (flat(v, f'{p}{k}.').items() if isinstance(v, dict) else [(f'{p}{k}', v)])}
    new_f, old_f = flat(fp), flat(old)
    differ = sorted(k for k in new_f.keys() | old_f.keys() if new_f.get(k) != old_f.get(k))
    print(f"fingerprint: {len(new_f) - len(set(differ) & set(new_f))} of {len(new_f)} equal" + (f"; differ: {', '.join(differ)}" if differ else ''))
    sys.exit(1 if differ else 0)


if __name__ == '__main__': main()
