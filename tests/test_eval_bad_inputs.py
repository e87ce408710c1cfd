"""Bad inputs to groupvit_eval, the model loader and the class-name embedding: each gets one clear sentence
(exit code 2 for the command line), found before any long work where it can be. Cases from a fault sweep; keep them."""
import json
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image

from groupvit_nb.core import GroupViT, groupvit_tiny
from groupvit_nb.eval import SEG_DATASETS, main
from groupvit_nb.pretrained import save_pretrained
from groupvit_nb.classes import class_embeddings


def write_voc(root, n=2, size=(24, 32)):
    "A tiny VOC layout: n random images with label maps of the same size."
    s, root, rs = SEG_DATASETS['voc'], Path(root), np.random.RandomState(0)
    (root / s.img_dir).mkdir(parents=True); (root / s.ann_dir).mkdir(parents=True)
    ids = [f'im{k}' for k in range(n)]
    for i in ids:
        Image.fromarray(rs.randint(0, 256, (*size, 3), dtype=np.uint8)).save(root / s.img_dir / f'{i}.jpg')
        Image.fromarray(rs.choice([0, 5, 255], size).astype(np.uint8)).save(root / s.ann_dir / f'{i}.png')
    (root / s.split).parent.mkdir(parents=True); (root / s.split).write_text('\n'.join(ids) + '\n')
    return root


def run_eval(capsys, *argv):
    "groupvit_eval in this process: (exit code, its one error line; an AssertionError if there is not exactly one)."
    try: main([str(a) for a in argv]); code = 0
    except SystemExit as e: code = e.code
    err = capsys.readouterr().err
    lines = [l for l in err.split('\n') if l.startswith('groupvit_eval: error:')]
    assert len(lines) == (code != 0) and 'Traceback' not in err, err
    return code, lines[0] if lines else ''


FAST = ('--mode', 'whole', '--short-side', 0)

def _corrupt_mask(root): (root / 'SegmentationClass' / 'im1.png').write_bytes(b'\x89PNG truncated')
def _small_mask(root): Image.fromarray(np.zeros((10, 12), np.uint8)).save(root / 'SegmentationClass' / 'im1.png')
def _bad_value(root): Image.fromarray(np.full((24, 32), 77, np.uint8)).save(root / 'SegmentationClass' / 'im1.png')
def _corrupt_image(root): (root / 'JPEGImages' / 'im1.jpg').write_bytes(b'not a jpeg')

@pytest.mark.parametrize('damage, says', [
    (_corrupt_mask, "cannot read label file '{root}/SegmentationClass/im1.png'"),
    (_small_mask, "label file '{root}/SegmentationClass/im1.png' is 12x10 pixels but its image '{root}/JPEGImages/im1.jpg' is 32x24"),
    (_bad_value, "label file '{root}/SegmentationClass/im1.png' has the value 77"),
    (_corrupt_image, "cannot read '{root}/JPEGImages/im1.jpg' as an image"),
], ids=['corrupt-mask', 'mask-of-another-size', 'label-value-out-of-range', 'corrupt-image'])
def test_broken_dataset_file_is_named(tmp_path, capsys, weights, damage, says):
    root = write_voc(tmp_path / 'voc')
    damage(root)
    code, err = run_eval(capsys, '--dataset', 'voc', '--root', root, '--weights', weights, *FAST)
    assert code == 2 and says.format(root=root) in err, err
    assert 'predictor' not in err


@pytest.mark.parametrize('opts, says', [
    (['--short-side', -5], '--short-side must be at least 0, got -5.'),
    (['--window', 0], '--window must be at least 1'),
    (['--stride', 0], '--stride must be at least 1'),
    (['--window', 448, '--stride', 500], '--stride 500 is larger than the window (448 pixels)'),
    (['--max-images', 0], '--max-images must be at least 1'),
    (['--batch-size', 0], '--batch-size must be at least 1'),
    (['--bg-thresh', 1.5], '--bg-thresh must lie in [0, 1], got 1.5.'),
    (['--templates', 'fancy'], "Unknown template set 'fancy'"),
    (['--device', 'tpu'], "--device 'tpu' is not a device"),
    (['--device', 'cuda:99'], '--device cuda:99:'),
    (['--device', 'meta'], 'groupvit_nb runs on cpu, cuda or mps'),
], ids=lambda v: ' '.join(map(str, v)) if isinstance(v, list) else None)
def test_bad_option_stops_before_loading(tmp_path, capsys, opts, says):
    root = write_voc(tmp_path / 'voc')
    (tmp_path / 'never_read.pth').write_bytes(b'')       # weights that exist (a missing path is refused at once, too)
    code, err = run_eval(capsys, '--dataset', 'voc', '--root', root, '--weights', tmp_path / 'never_read.pth', *opts)
    assert code == 2 and says in err, err        # the weights were never read
    assert '----' not in err, err                # a --device error was once printed as '----device'


@pytest.mark.parametrize('opts, says', [
    (['--stride', 500], 'stride 500 is larger than window 448'),
], ids=lambda v: ' '.join(map(str, v)) if isinstance(v, list) else None)
def test_option_checked_against_the_model_stops_before_evaluating(tmp_path, capsys, weights, opts, says):
    code, err = run_eval(capsys, '--dataset', 'voc', '--root', write_voc(tmp_path / 'voc'), '--weights', weights, *opts)
    assert code == 2 and says in err, err


def test_cuda_without_a_gpu(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    (tmp_path / 'w.pth').write_bytes(b'')
    code, err = run_eval(capsys, '--dataset', 'voc', '--root', write_voc(tmp_path / 'voc'), '--weights', tmp_path / 'w.pth', '--device', 'cuda')
    assert code == 2 and 'no CUDA GPU is visible' in err and 'use --device cpu' in err


@pytest.mark.parametrize('where', ['under-a-file', 'a-folder', 'read-only-folder'])
def test_unwritable_out_is_found_before_evaluating(tmp_path, capsys, weights, monkeypatch, where):
    root = write_voc(tmp_path / 'voc')
    (tmp_path / 'file.txt').write_text('x')
    out = {'under-a-file': tmp_path / 'file.txt' / 'res.json', 'a-folder': tmp_path}.get(where)
    if where == 'read-only-folder':
        (tmp_path / 'ro').mkdir(); out = tmp_path / 'ro' / 'res.json'
        real_open = open
        def refuse(f, mode='r', *a, **k):
            if Path(f) == out and mode != 'r': raise PermissionError(13, 'Permission denied')
            return real_open(f, mode, *a, **k)
        monkeypatch.setattr('builtins.open', refuse)          # root ignores chmod; refuse the write itself
    evaluated = []
    monkeypatch.setattr('groupvit_nb.eval.evaluate_segmentation', lambda *a, **k: evaluated.append(1))
    code, err = run_eval(capsys, '--dataset', 'voc', '--root', root, '--weights', weights, '--out', out, *FAST)
    assert code == 2 and f"'{out}'" in err, err
    assert evaluated == [] and not (tmp_path / 'ro' / 'res.json').exists()


def test_mistyped_weights_path_is_not_a_hub_id(tmp_path, capsys):
    code, err = run_eval(capsys, '--dataset', 'voc', '--root', write_voc(tmp_path / 'voc'), '--weights', 'w/nonexist.pth')
    assert code == 2 and "no checkpoint at 'w/nonexist.pth': no such file or folder" in err
    assert 'hub' not in err.split('(')[0] and 'connection' not in err


@pytest.mark.parametrize('typo', ['w/nonexist.pth', 'checkpoints/final.safetensors', 'models/model.json', './w/x', '~/w/x.pth'])
def test_loader_reports_missing_local_paths(typo):
    with pytest.raises(FileNotFoundError, match=r"no such file or folder"):
        GroupViT.from_pretrained(typo)


@pytest.mark.parametrize('text, says', [
    ('{"format": "groupvit_nb", "config": {', 'is not valid JSON (Expecting'),
    ('[1, 2]', 'holds a JSON list, not an object'),
    ('{"format": "groupvit_nb", "config": {"embed_dim": 100, "num_heads": 3}}', 'does not describe a valid GroupViT'),
    ('{"format": "groupvit_nb", "config": {"depth": 3}}', "unknown GroupViTConfig keys: ['depth']"),
    ('{"format": "groupvit_nb"}', "has no 'config' object"),
    ('{"format": "groupvit_nb", "config": {"depths": "two"}}', "depths must be a list of whole numbers, one per stage, got 'two'"),
    ('{"model_type": "groupvit", "vision_config": {"hidden_act": "relu"}}', "not supported: vision hidden_act 'relu'"),
])
def test_invalid_config_json_names_the_file(tmp_path, text, says):
    folder = save_pretrained(groupvit_tiny(), tmp_path / 'm')
    (folder / 'config.json').write_text(text)
    with pytest.raises(ValueError) as e: GroupViT.from_pretrained(folder)
    assert str(folder / 'config.json') in str(e.value) and says in str(e.value), e.value


def test_config_json_that_is_not_utf8(tmp_path):
    folder = save_pretrained(groupvit_tiny(), tmp_path / 'm')
    (folder / 'config.json').write_bytes(b'{"format": "\xff\xfe"}')
    with pytest.raises(ValueError, match='config.json is not UTF-8 text'): GroupViT.from_pretrained(folder)


@pytest.mark.parametrize('zs, says', [('{"bg_thresh": 0.2,', 'is not valid JSON'), ('{"thresh": 0.2}', "unknown keys ['thresh']"),
                                      ('{"bg_thresh": "high"}', 'between 0 and 1'), ('{"templates": "fancy"}', 'Unknown template set')])
def test_invalid_zero_shot_json_names_the_file(tmp_path, zs, says):
    folder = save_pretrained(groupvit_tiny(), tmp_path / 'm')
    (folder / 'zero_shot.json').write_text(zs)
    with pytest.raises(ValueError) as e: GroupViT.from_pretrained(folder)
    assert str(folder / 'zero_shot.json') in str(e.value) and says in str(e.value), e.value


@pytest.mark.parametrize('kw', [dict(), dict(center_assign=True), dict(num_heads=2, text_heads=4), dict(assign_cosine_scale=5.0),
                                dict(assign_iters=3), dict(group_residual=False)])
def test_bare_state_dict_of_another_architecture(tmp_path, kw):
    "Refused as such; with the settings the tensors cannot show, it loads and gives the same text embeddings."
    torch.manual_seed(0)
    model = groupvit_tiny(**kw).eval()
    torch.save(model.state_dict(), tmp_path / 'bare.pth')
    with pytest.raises(ValueError, match='bare state dict of a GroupViT that is not the released architecture'):
        GroupViT.from_pretrained(tmp_path / 'bare.pth')
    cfg = model.cfg
    back = GroupViT.from_pretrained(tmp_path / 'bare.pth', num_heads=cfg.num_heads, text_heads=cfg.text_heads,
                                    center_assign=cfg.center_assign, assign_cosine_scale=cfg.assign_cosine_scale,
                                    assign_iters=cfg.assign_iters, group_residual=cfg.group_residual)
    tok = torch.randint(1, 49000, (3, 77)); tok[:, 12] = 49407; tok[:, 13:] = 0
    img = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(back.encode_text(tok), model.encode_text(tok))
        torch.testing.assert_close(back.encode_image(img), model.encode_image(img))


def test_class_name_longer_than_the_context(weights):
    model = GroupViT.from_pretrained(weights)
    name = 'dog ' + 'with a very long tail ' * 20
    with pytest.raises(ValueError, match=r"class name 'dog with a very long tail.*is too long"):
        class_embeddings(model, ['cat', name])


@pytest.mark.parametrize('dataset', ['voc', 'imagenet'])
def test_a_file_as_root_is_named_as_such(tmp_path, capsys, dataset):
    "A file given as --root was said not to exist."
    (tmp_path / 'data.zip').write_bytes(b'PK')
    code, err = run_eval(capsys, '--dataset', dataset, '--root', tmp_path / 'data.zip', '--weights', 'x')
    assert code == 2 and f"--root '{tmp_path / 'data.zip'}' is a file; give the" in err, err


def test_damaged_weights_are_named(tmp_path):
    "save_pretrained records the weights' SHA-256 in config.json; a damaged file is refused, by name."
    folder = save_pretrained(groupvit_tiny(), tmp_path / 'm')
    raw = bytearray((folder / 'model.safetensors').read_bytes()); raw[-64] ^= 0xFF
    (folder / 'model.safetensors').write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=f"{folder / 'model.safetensors'} is damaged: its SHA-256 is not the one"):
        GroupViT.from_pretrained(folder)


def test_bare_state_dict_of_the_demo_model_is_called_so(tmp_path):
    "The demo model's CNN stem was called 'not a GroupViT checkpoint'."
    from groupvit_nb.demo import demo_dir
    torch.save(GroupViT.from_pretrained(demo_dir()).state_dict(), tmp_path / 'demo_bare.pth')
    with pytest.raises(ValueError) as e: GroupViT.from_pretrained(tmp_path / 'demo_bare.pth')
    assert 'a bare state dict of a GroupViT that is not the released architecture: its patch stem' in str(e.value), e.value
    assert 'not a GroupViT checkpoint' not in str(e.value)


def test_bare_state_dict_of_released_shapes_with_other_heads_is_refused(tmp_path):
    "Released shapes, 8 heads, this project's names: it loaded as 6 heads, silently; the heads cannot be read, so it is refused."
    from groupvit_nb.core import groupvit_s16
    from groupvit_nb.pretrained import ours_to_nvlabs
    model = groupvit_s16(num_heads=8).eval()
    torch.save(model.state_dict(), tmp_path / 'bare8.pth')
    with pytest.raises(ValueError, match="bare state dict in this project's names, not a released file.*num_heads, text_heads"):
        GroupViT.from_pretrained(tmp_path / 'bare8.pth')
    back = GroupViT.from_pretrained(tmp_path / 'bare8.pth', num_heads=8, text_heads=4, center_assign=False,
                                    assign_cosine_scale=0.0, assign_iters=1, group_residual=True)
    img = torch.randn(1, 3, 224, 224)
    with torch.no_grad(): torch.testing.assert_close(back.encode_image(img), model.encode_image(img))
    torch.save({'model': ours_to_nvlabs(groupvit_s16().state_dict())}, tmp_path / 'released.pth')   # a released file's layout
    assert GroupViT.from_pretrained(tmp_path / 'released.pth').cfg.num_heads == 6
