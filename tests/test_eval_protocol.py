"groupvit_eval's settings: the official protocol row by default, the model's zero_shot.json over it, options over both."
import json
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image

import groupvit_nb.eval as ev
from groupvit_nb.core import groupvit_tiny
from groupvit_nb.text import TEMPLATES

OFFICIAL = {  # segmentation/configs/_base_/datasets/{pascal_voc12,pascal_context,coco}.py and configs/default.yml
    'voc': dict(bg_thresh=0.95, templates='simple', mode='slide', short_side=448, window=448, stride=224, background=True),
    'context': dict(bg_thresh=0.35, templates='simple', mode='slide', short_side=448, window=448, stride=224, background=True),
    'coco_object': dict(bg_thresh=0.95, templates='simple', mode='slide', short_side=448, window=448, stride=224, background=True),
}
CLASSES = {'voc': 21, 'context': 60, 'coco_object': 81}


def fake(root, name):
    s, root = ev.SEG_DATASETS[name], Path(root)
    (root / s.img_dir).mkdir(parents=True); (root / s.ann_dir).mkdir(parents=True)
    Image.new('RGB', (20, 16), (90, 20, 200)).save(root / s.img_dir / f'a{s.img_suffix}')
    Image.fromarray(np.zeros((16, 20), np.uint8)).save(root / s.ann_dir / f'a{s.ann_suffix}')
    if s.split: (root / s.split).parent.mkdir(parents=True); (root / s.split).write_text('a\n')
    return root


@pytest.fixture
def seen(monkeypatch):
    "Record the predictor groupvit_eval builds (settings, class embeddings) instead of running the evaluation."
    calls = {}
    import groupvit_nb.classes as classes
    orig = classes.class_embeddings
    def spy(model, names, templates='simple', **kw):
        calls['templates'] = templates; calls['classes'] = len(names)
        return orig(model, names, templates, **kw)
    monkeypatch.setattr(classes, 'class_embeddings', spy)
    def fake_eval(pred, data, max_images=None, progress=True):
        calls['settings'] = pred.settings
        return dict(miou=0.0, acc=0.0, iou={n: 0.0 for n in data.classes}, pixels=0, dataset=data.name, images=0)
    monkeypatch.setattr(ev, 'evaluate_segmentation', fake_eval)
    return calls


def run(tmp_path, *argv):
    out = tmp_path / 'res.json'
    ev.main([str(a) for a in argv] + ['--out', str(out)])
    return json.loads(out.read_text())


@pytest.mark.parametrize('name', list(OFFICIAL))
def test_defaults_are_the_official_protocol(tmp_path, seen, weights, name):
    res = run(tmp_path, '--dataset', name, '--root', fake(tmp_path / name, name), '--weights', weights)
    assert res['settings'] == OFFICIAL[name] == seen['settings']
    assert seen['templates'] == 'simple' and seen['classes'] == CLASSES[name] - 1 and len(res['iou']) == CLASSES[name]


def test_model_zero_shot_then_options(tmp_path, seen):
    torch.manual_seed(0)
    folder = groupvit_tiny().save_pretrained(tmp_path / 'model', zero_shot={'bg_thresh': 0.2, 'templates': 'subset'})
    root = fake(tmp_path / 'context', 'context')
    res = run(tmp_path, '--dataset', 'context', '--root', root, '--weights', folder)
    assert res['settings'] == {**OFFICIAL['context'], 'bg_thresh': 0.2, 'templates': 'subset'} and seen['templates'] == 'subset'
    res = run(tmp_path, '--dataset', 'context', '--root', root, '--weights', folder, '--bg-thresh', 0.6, '--templates', 'full',
              '--mode', 'whole', '--short-side', 0, '--window', 64, '--stride', 32)
    assert res['settings'] == dict(bg_thresh=0.6, templates='full', mode='whole', short_side=0, window=64, stride=32, background=True)
    assert seen['templates'] == 'full'


@pytest.mark.parametrize('name', ['voc', 'context59'])
def test_the_model_geometry_is_used_for_any_dataset(tmp_path, seen, name):
    "`groupvit_eval --dataset D --root F --weights M`, no other flag: the geometry M carries, the rest from D's protocol."
    torch.manual_seed(0)
    geo = dict(short_side=48, mode='slide', window=48, stride=24)
    folder = groupvit_tiny().save_pretrained(tmp_path / 'model', zero_shot=geo)
    res = run(tmp_path, '--dataset', name, '--root', fake(tmp_path / name, name), '--weights', folder)
    assert res['settings'] == {**OFFICIAL.get(name, OFFICIAL['voc']), **geo, 'background': name != 'context59'} == seen['settings']
    res = run(tmp_path, '--dataset', name, '--root', tmp_path / name, '--weights', folder, '--window', 32, '--stride', 16)
    assert (res['settings']['window'], res['settings']['stride'], res['settings']['short_side']) == (32, 16, 48)


def test_context59_never_predicts_background(tmp_path, seen, weights):
    res = run(tmp_path, '--dataset', 'context59', '--root', fake(tmp_path / 'c59', 'context59'), '--weights', weights)
    assert res['settings']['background'] is False and seen['classes'] == 59


def test_classification_uses_the_subset_templates(tmp_path, weights, monkeypatch):
    used = []
    import groupvit_nb.classes as classes
    orig = classes.class_embeddings
    monkeypatch.setattr(classes, 'class_embeddings', lambda m, names, templates='simple', **kw: used.append(templates) or orig(m, names, templates, **kw))
    for c in ('cat', 'dog'):
        (tmp_path / 'cls' / c).mkdir(parents=True); Image.new('RGB', (40, 30), (9, 99, 199)).save(tmp_path / 'cls' / c / '0.png')
    res = run(tmp_path, '--dataset', 'imagenet', '--root', tmp_path / 'cls', '--weights', weights)
    assert used == ['subset'] and res['settings']['templates'] == 'subset' and TEMPLATES['subset'][1] == 'a bad photo of a {}.'
