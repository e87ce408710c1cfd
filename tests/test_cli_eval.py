"Run `groupvit_eval` as a subprocess on tiny fake VOC / Context / COCO-Object / COCO-Stuff / Cityscapes / ADE20K / ImageFolder data."
import json, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image

from groupvit_nb.core import groupvit_tiny
from groupvit_nb.eval import SEG_DATASETS, SegmentationDataset, evaluate_segmentation

def run(prog, *args):
    exe = shutil.which(prog)
    mod = prog.split('_')[1]
    cmd = [exe] if exe else [sys.executable, '-c', f'from groupvit_nb.{mod} import main; main()']
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=300)

def write_fake(root, name, labels, seed=0, ids=None):
    "Images (random colours) and label PNGs in `name`'s layout (`ids` may name sub-folders); returns the ids."
    s, root, rs = SEG_DATASETS[name], Path(root), np.random.RandomState(seed)
    ids = ids or [f'img_{k}' for k in range(len(labels))]
    for i in ids: (root / s.img_dir / i).parent.mkdir(parents=True, exist_ok=True); (root / s.ann_dir / i).parent.mkdir(parents=True, exist_ok=True)
    for k, (i, lab) in enumerate(zip(ids, labels)):
        lab = np.asarray(lab, np.uint8)
        Image.fromarray(rs.randint(0, 256, lab.shape + (3,), dtype=np.uint8)).save(root / s.img_dir / f'{i}{s.img_suffix}')
        Image.fromarray(lab).save(root / s.ann_dir / f'{i}{s.ann_suffix}')
    if s.split:
        (root / s.split).parent.mkdir(parents=True, exist_ok=True); (root / s.split).write_text('\n'.join(ids) + '\n')
    return ids

GT_A = [[0, 0, 1, 1], [0, 0, 1, 1], [255, 255, 2, 2], [255, 255, 2, 2]]
PRED_A = [[0, 1, 1, 1], [0, 0, 1, 1], [2, 2, 2, 0], [0, 0, 2, 5]]
GT_B = np.ones((4, 6), np.uint8)

@pytest.mark.parametrize('name', ['voc', 'context', 'coco_object'])
def test_hand_computed_miou_on_each_layout(tmp_path, name):
    "Predictions fixed per image: class 0 → 3/5, class 1 → 28/29, class 2 → 2/4, class 5 predicted but absent → 0."
    ids = write_fake(tmp_path, name, [GT_A, GT_B])
    ds = SegmentationDataset(tmp_path, name)
    preds = [torch.tensor(PRED_A), torch.ones(4, 6, dtype=torch.long)]
    seen = iter(preds)
    r = evaluate_segmentation(lambda img: next(seen), ds, progress=False)
    assert r['miou'] == pytest.approx((3/5 + 28/29 + 2/4 + 0) / 4, abs=1e-12)
    assert r['acc'] == pytest.approx(33 / 36, abs=1e-12) and r['pixels'] == 36
    assert np.isnan(list(r['iou'].values())[8])                      # a class in neither labels nor predictions

def test_context59_ignores_background(tmp_path):
    write_fake(tmp_path, 'context59', [GT_A, GT_B])
    seen = iter([torch.tensor(PRED_A), torch.ones(4, 6, dtype=torch.long)])
    r = evaluate_segmentation(lambda img: next(seen), SegmentationDataset(tmp_path, 'context59'), progress=False)
    assert 'background' not in r['iou'] and r['pixels'] == 32
    assert r['miou'] == pytest.approx((1 + 2/4 + 0) / 3, abs=1e-12)

def numpy_miou(preds, gts, num_classes, ignore=255):
    "Independent reference: IoU per class over all pixels, classes with an empty union left out."
    p, g = np.concatenate([x.ravel() for x in preds]), np.concatenate([x.ravel() for x in gts])
    p, g = p[g != ignore], g[g != ignore]
    ious = [((p == c) & (g == c)).sum() / ((p == c) | (g == c)).sum() for c in range(num_classes) if ((p == c) | (g == c)).any()]
    return float(np.mean(ious))

def test_eval_cli_matches_segment_cli_and_numpy(weights, tmp_path):
    "groupvit_eval's mIoU equals a numpy mIoU of groupvit_segment's label maps for the same images and settings."
    rs = np.random.RandomState(1)
    labels = [rs.choice([0, 3, 15, 255], (40, 56)), rs.choice([0, 8, 255], (48, 40))]
    ids = write_fake(tmp_path / 'voc', 'voc', labels)
    opts = ['--mode', 'slide', '--short-side', 64, '--window', 48, '--stride', 24, '--templates', 'simple']
    r = run('groupvit_eval', '--dataset', 'voc', '--root', tmp_path / 'voc', '--weights', weights, '--out',
            tmp_path / 'res.json', *opts)
    assert r.returncode == 0, r.stderr
    assert 'mIoU' in r.stdout and 'aeroplane' in r.stdout
    res = json.loads((tmp_path / 'res.json').read_text())
    assert res['images'] == 2 and len(res['iou']) == 21
    imgs = [tmp_path / 'voc' / 'JPEGImages' / f'{i}.jpg' for i in ids]
    s = run('groupvit_segment', *imgs, '--classes', ','.join(SEG_DATASETS['voc'].classes), '--weights', weights,
            '--out', tmp_path / 'seg', *opts)
    assert s.returncode == 0, s.stderr
    preds = [np.array(Image.open(tmp_path / 'seg' / f'{i}_labels.png')) for i in ids]
    assert res['miou'] == pytest.approx(numpy_miou(preds, labels, 21), abs=1e-9)

def test_other_datasets_and_classification(weights, tmp_path):
    write_fake(tmp_path / 'coco', 'coco_object', [np.random.RandomState(2).choice([0, 1, 80, 255], (32, 40))])
    r = run('groupvit_eval', '--dataset', 'coco_object', '--root', tmp_path / 'coco', '--weights', weights,
            '--mode', 'whole', '--short-side', 0, '--out', tmp_path / 'coco.json')
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / 'coco.json').read_text())
    assert len(res['iou']) == 81 and 0 <= res['miou'] <= 1
    for c in ('cat', 'dog', 'hot_dog'):                                  # ImageFolder, 3 classes × 2 images
        (tmp_path / 'cls' / c).mkdir(parents=True)
        for k in range(2): Image.new('RGB', (80, 60), (k * 90, 30, 200)).save(tmp_path / 'cls' / c / f'{k}.png')
    r = run('groupvit_eval', '--dataset', 'imagenet', '--root', tmp_path / 'cls', '--weights', weights,
            '--out', tmp_path / 'cls.json')
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / 'cls.json').read_text())
    assert res['images'] == 6 and res['classes'] == 3
    assert res['top5'] == 1.0 and res['top1'] in (0, 1/6, 2/6, 3/6, 4/6, 5/6, 1)   # top-5 of 3 classes covers all

@pytest.mark.parametrize('name, values, ids, n_classes', [
    ('coco_stuff', [0, 1, 170, 255], None, 171),
    ('cityscapes', [0, 11, 18, 255], ['frankfurt/frankfurt_000000_000294', 'lindau/lindau_000001_000019'], 19),
    ('ade20k', [0, 1, 150, 255], None, 150)])
def test_later_work_benchmarks(weights, tmp_path, name, values, ids, n_classes):
    "The readers of TCL's benchmarks end to end: every class scored, no background, label maps matched to their images."
    rs = np.random.RandomState(3)
    ids = write_fake(tmp_path / name, name, [rs.choice(values, (32, 40)), rs.choice(values, (36, 28))], ids=ids)
    r = run('groupvit_eval', '--dataset', name, '--root', tmp_path / name, '--weights', weights,
            '--mode', 'whole', '--short-side', 0, '--out', tmp_path / 'res.json')
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / 'res.json').read_text())
    assert res['images'] == 2 and len(res['iou']) == n_classes and 'background' not in res['iou'] and 0 <= res['miou'] <= 1
    raw = [np.array(Image.open(tmp_path / name / SEG_DATASETS[name].ann_dir / f'{i}{SEG_DATASETS[name].ann_suffix}')) for i in ids]
    ignored = (255, 0) if name == 'ade20k' else (255,)                   # ADE20K's 0 is "other", not counted
    assert res['pixels'] == sum((~np.isin(x, ignored)).sum() for x in raw)

def test_bad_inputs(weights, tmp_path):
    r = run('groupvit_eval', '--dataset', 'voc', '--root', tmp_path / 'nothing', '--weights', weights)
    assert r.returncode == 2 and 'does not exist' in r.stderr
    (tmp_path / 'voc' / 'JPEGImages').mkdir(parents=True); (tmp_path / 'voc' / 'SegmentationClass').mkdir()
    r = run('groupvit_eval', '--dataset', 'voc', '--root', tmp_path / 'voc', '--weights', weights)
    assert r.returncode == 2 and 'split file' in r.stderr
    r = run('groupvit_eval', '--dataset', 'context', '--root', tmp_path / 'voc', '--weights', weights)
    assert r.returncode == 2 and 'SegmentationClassContext' in r.stderr
    write_fake(tmp_path / 'ok', 'voc', [GT_A])
    r = run('groupvit_eval', '--dataset', 'voc', '--root', tmp_path / 'ok')
    assert r.returncode == 2 and '--weights is required' in r.stderr
    r = run('groupvit_eval', '--dataset', 'mapillary', '--root', tmp_path / 'ok', '--weights', weights)
    assert r.returncode == 2 and 'invalid choice' in r.stderr
    r = run('groupvit_eval', '--dataset', 'ade20k', '--root', tmp_path / 'ok', '--weights', weights)   # a VOC root
    assert r.returncode == 2 and 'the ade20k root?' in r.stderr
    (tmp_path / 'ok' / 'SegmentationClass' / 'img_0.png').unlink()
    r = run('groupvit_eval', '--dataset', 'voc', '--root', tmp_path / 'ok', '--weights', weights)
    assert r.returncode == 2 and 'missing' in r.stderr

def test_precision(weights, tmp_path):
    "--precision bf16 runs and is recorded with the settings; fp16 on a CPU stops before the run, one line, status 2."
    write_fake(tmp_path / 'voc', 'voc', [np.random.RandomState(4).choice([0, 3, 255], (32, 40))])
    common = ['--dataset', 'voc', '--root', tmp_path / 'voc', '--weights', weights, '--mode', 'whole', '--short-side', 0,
              '--device', 'cpu']
    r = run('groupvit_eval', *common, '--precision', 'bf16', '--out', tmp_path / 'bf16.json')
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / 'bf16.json').read_text())
    assert res['settings']['precision'] == 'bf16' and res['images'] == 1 and 0 <= res['miou'] <= 1
    r = run('groupvit_eval', *common, '--precision', 'fp16')
    assert r.returncode == 2 and '--precision fp16 needs a CUDA GPU' in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_classes_the_model_never_met_are_named_in_one_warning_line(tmp_path):
    "The shipped demo model evaluated on VOC's classes: one line that names them (it knows shapes only)."
    from groupvit_nb.demo import demo_dir
    write_fake(tmp_path / 'voc', 'voc', [np.random.RandomState(3).choice([0, 8, 255], (48, 48))])
    r = run('groupvit_eval', '--dataset', 'voc', '--root', tmp_path / 'voc', '--weights', demo_dir(), '--mode', 'whole',
            '--short-side', 0)
    assert r.returncode == 0, r.stderr
    warns = [l for l in r.stderr.splitlines() if 'never trained' in l]
    assert len(warns) == 1 and "'cat'" in warns[0] and warns[0].startswith('groupvit_eval: warning:'), r.stderr
