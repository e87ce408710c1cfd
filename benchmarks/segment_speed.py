"""Zero-shot segmentation speed: GroupViT-S/16 (random weights, the released architecture) on VOC-sized images
(500×375 → short side 448 → 597×448, two 448² windows) in slide and whole mode, one image per call and `--batch`
images per call (images/s), plus the one-off cost of the class prompt embeddings (20 VOC classes × 80 templates).

With `--transformers`, the same weights also run in transformers' GroupViTModel on the same windows, side by side
(interleaved repeats): the same resized image cut into the same 448² windows, each window through its vision tower
with the grouping attentions (its `output_segmentation` path: `get_grouping_from_attentions`, group embeddings
through `visual_projection`, group × class logits), the window logits averaged where windows overlap, resized to the
image and argmax-ed. transformers' vision tower does not pass `interpolate_pos_encoding` to its embeddings, so its
embeddings are called with it set (448² windows need the 14² position grid resized to 28²).

    python benchmarks/segment_speed.py [--device cpu|cuda] [--precision fp32 bf16 ...] [--batch 8] [--reps 3] [--transformers]
"""
import argparse, os, statistics, subprocess, time
import torch
import torch.nn.functional as F
from PIL import Image
import numpy as np
from groupvit_nb.core import groupvit_s16
from groupvit_nb.segment import segment
from groupvit_nb.eval import VOC_CLASSES


def bench(fn, reps=3, sync=lambda: None):
    "Best and mean seconds of `reps` calls of `fn`, after one warm-up call."
    fn(); sync()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); sync(); ts.append(time.perf_counter() - t)
    return min(ts), sum(ts) / len(ts)


def hf_segmenter(hf, text, window=448, stride=224):
    "transformers' GroupViT segmentation logits on our windows: one normalised `[1, 3, H, W]` image → label map `[H, W]`."
    from transformers.models.groupvit.modeling_groupvit import get_grouping_from_attentions
    from groupvit_nb.segment import window_starts
    emb = hf.vision_model.embeddings
    if not getattr(emb, '_interpolating', False):       # its vision tower does not pass interpolate_pos_encoding on
        orig = emb.forward
        emb.forward = lambda pixel_values, interpolate_pos_encoding=False: orig(pixel_values, interpolate_pos_encoding=True)
        emb._interpolating = True
    scale = hf.logit_scale.exp()
    @torch.no_grad()
    def run(x):
        H, W = x.shape[-2:]
        h, w = min(window, H), min(window, W)
        crops = [(y, x0) for y in window_starts(H, window, stride) for x0 in window_starts(W, window, stride)]
        pv = torch.cat([x[..., y:y + h, x0:x0 + w] for y, x0 in crops])
        out = hf.vision_model(pixel_values=pv, output_attentions=True, return_dict=True)
        g = out.last_hidden_state
        groups = F.normalize(hf.visual_projection(g.reshape(-1, g.shape[-1])), dim=-1).reshape(*g.shape[:2], -1)  # [n, G, D]
        grouping = get_grouping_from_attentions(out.attentions, pv.shape[2:])               # [n, G, h, w]
        logits = torch.einsum('ngd,cd,nghw->nchw', groups, text, grouping) * scale * scale  # as its seg_logits
        total, count = x.new_zeros(1, text.shape[0], H, W), x.new_zeros(1, 1, H, W)
        for (y, x0), l in zip(crops, logits):
            total[..., y:y + h, x0:x0 + w] += l; count[..., y:y + h, x0:x0 + w] += 1
        return (total / count)[0].argmax(0)
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--device', default='cpu'); ap.add_argument('--precision', nargs='+', default=['fp32'])
    ap.add_argument('--batch', type=int, default=8, help='images per call for the images/s figure')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--transformers', action='store_true', help="also time transformers' GroupViT on the same windows")
    a = ap.parse_args()
    if a.transformers: return against_transformers(a)
    device = torch.device(a.device)
    if device.type == 'cuda' and not torch.cuda.is_available(): raise SystemExit('segment_speed.py: error: no CUDA GPU visible')
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    torch.manual_seed(0)
    model = groupvit_s16().eval().to(device)
    rs = np.random.RandomState(0)
    imgs = [Image.fromarray(rs.randint(0, 256, (375, 500, 3), dtype=np.uint8)) for _ in range(a.batch)]
    text = F.normalize(torch.randn(len(VOC_CLASSES), 256), dim=-1).to(device)
    name = torch.cuda.get_device_name() if device.type == 'cuda' else 'CPU'
    print(f"torch {torch.__version__}, {name}, {torch.get_num_threads()} CPU threads")
    for p in a.precision:
        for mode in ('slide', 'whole'):
            run = lambda ims: segment(model, ims, list(VOC_CLASSES), mode=mode, text_emb=text, precision=p, batch_size=a.batch)
            best, mean = bench(lambda: run(imgs[0]), a.reps, sync)
            many, _ = bench(lambda: run(imgs), a.reps, sync)
            print(f"segment s16 {p}, 500x375 image, mode={mode}: best {best*1000:.0f} ms, mean {mean*1000:.0f} ms per image; "
                  f"{a.batch} per call: {a.batch / many:.1f} images/s")
    t = time.perf_counter()
    from groupvit_nb.classes import class_embeddings
    class_embeddings(model, list(VOC_CLASSES), templates='full', cache=False); sync()
    print(f"class_embeddings: 20 VOC classes x 80 templates: {time.perf_counter() - t:.1f} s (once per dataset)")


def against_transformers(a):
    "Ours (`segment`, slide 448/448/224) and transformers on the same windows, same weights, interleaved; s/image and images/s."
    import logging, warnings
    warnings.filterwarnings('ignore'); logging.getLogger('transformers').setLevel(logging.ERROR)
    import transformers
    from groupvit_nb.core import GroupViT
    from groupvit_nb.pretrained import hf_to_ours, hf_config_to_ours, load_state_dict_strict
    from groupvit_nb.segment import _model_input
    torch.manual_seed(0)
    load0 = os.getloadavg()
    hf = transformers.GroupViTModel(transformers.GroupViTConfig()).eval()
    ours = GroupViT(hf_config_to_ours(hf.config.to_dict()))
    load_state_dict_strict(ours, hf_to_ours(hf.state_dict(), ours.state_dict().keys()), allow_missing=('multi_label_logit_scale',))
    ours.eval()
    rs = np.random.RandomState(0)
    imgs = [Image.fromarray(rs.randint(0, 256, (375, 500, 3), dtype=np.uint8)) for _ in range(a.batch)]
    text = F.normalize(torch.randn(len(VOC_CLASSES), 256), dim=-1)
    theirs = hf_segmenter(hf, text)
    xs = [_model_input(im, 448, 'cpu', torch.float32) for im in imgs]            # the same resized inputs for both
    def hf_run(ims):
        for x in ims: F.interpolate(theirs(x)[None, None].float(), size=(375, 500), mode='nearest')
    runs = {'groupvit_nb segment': (lambda: segment(ours, imgs[0], list(VOC_CLASSES), text_emb=text),
                                    lambda: segment(ours, imgs, list(VOC_CLASSES), text_emb=text, batch_size=a.batch)),
            'transformers, same windows': (lambda: hf_run(xs[:1]), lambda: hf_run(xs))}
    for one, many in runs.values(): one(); many()                              # warm-up
    times = {(k, n): [] for k in runs for n in ('one', 'many')}
    for _ in range(a.reps):
        for k, (one, many) in runs.items():
            for n, f in (('one', one), ('many', many)):
                t = time.perf_counter(); f(); times[(k, n)].append(time.perf_counter() - t)
    cpu = next((l.split(':', 1)[1].strip() for l in subprocess.run(['lscpu'], capture_output=True, text=True).stdout.splitlines()
                if l.startswith('Model name')), 'CPU')
    print(f"{cpu}, torch {torch.__version__}, transformers {transformers.__version__}, {torch.get_num_threads()} threads; "
          f"load average {load0[0]:.2f} before, {os.getloadavg()[0]:.2f} after; GroupViT-S/16 (random weights), 500x375 images "
          f"-> short side 448 -> two 448² windows, stride 224; {a.reps} interleaved repeats, medians")
    ref = statistics.median(times[('transformers, same windows', 'one')])
    for k in runs:
        one, many = statistics.median(times[(k, 'one')]), statistics.median(times[(k, 'many')])
        print(f"{k:28s} {one:6.2f} s/image (one per call)   {a.batch / many:5.2f} images/s ({a.batch} per call)   "
              f"speed vs transformers: {ref / one:.2f}x")


if __name__ == '__main__': main()
