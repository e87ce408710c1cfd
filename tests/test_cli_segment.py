"Run `groupvit_segment` as a subprocess on images written here, with a tiny random-weight GroupViT saved by the test."
import json, shutil, subprocess, sys
import numpy as np
import pytest
import torch
from PIL import Image

from groupvit_nb.core import GroupViT, groupvit_tiny
from groupvit_nb.segment import segment

CLASSES = ['dog', 'grass', 'sky']

def run(*args):
    exe = shutil.which('groupvit_segment')
    cmd = [exe] if exe else [sys.executable, '-c', 'from groupvit_nb.cli import segment_main; segment_main()']
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=300)

@pytest.fixture(scope='module')
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp('images')
    rs = np.random.RandomState(0)
    rgb = Image.fromarray(rs.randint(0, 256, (50, 70, 3), dtype=np.uint8))
    rgb.save(d / 'photo.png')
    rgb.convert('RGBA').save(d / 'alpha.png')            # RGBA → converted to RGB
    rgb.convert('L').save(d / 'grey.jpg')                # grey → converted to RGB
    Image.new('RGB', (4, 6)).save(d / 'tiny.png')        # smaller than one 8×8 patch
    (d / 'notes.png').write_text('not an image')
    return d

def test_help():
    r = run('--help')
    assert r.returncode == 0 and '--classes' in r.stdout and '--weights' in r.stdout

def test_writes_overlay_and_label_map_matching_segment(weights, images, tmp_path):
    out = tmp_path / 'out'
    r = run(images / 'photo.png', images / 'alpha.png', images / 'grey.jpg', '--classes', ','.join(CLASSES),
            '--weights', weights, '--out', out, '--mode', 'whole', '--short-side', 0)
    assert r.returncode == 0, r.stderr
    assert json.loads((out / 'classes.json').read_text()) == {'0': 'background', '1': 'dog', '2': 'grass', '3': 'sky'}
    model = GroupViT.from_pretrained(weights)
    for stem, ext in (('photo', 'png'), ('alpha', 'png'), ('grey', 'jpg')):
        assert (out / f'{stem}_overlay.png').stat().st_size > 0
        lab = np.array(Image.open(out / f'{stem}_labels.png'))
        assert lab.shape == (50, 70) and lab.max() <= len(CLASSES)
        ref = segment(model, images / f'{stem}.{ext}', CLASSES, mode='whole', short_side=0)[0]
        np.testing.assert_array_equal(lab, ref.numpy())

def test_threshold_zero_gives_no_background_in_slide_mode(weights, images, tmp_path):
    r = run(images / 'photo.png', '--classes', 'dog,grass', '--weights', weights, '--out', tmp_path,
            '--short-side', 64, '--window', 48, '--stride', 16, '--bg-thresh', 0)
    assert r.returncode == 0, r.stderr
    lab = np.array(Image.open(tmp_path / 'photo_labels.png'))
    assert lab.shape == (50, 70) and lab.min() >= 1 and lab.max() <= 2

@pytest.mark.parametrize('classes,message', [('', 'empty'), (',,', 'empty'), ('dog,grass,Dog', 'more than once')])
def test_bad_class_lists(weights, images, tmp_path, classes, message):
    r = run(images / 'photo.png', '--classes', classes, '--weights', weights, '--out', tmp_path)
    assert r.returncode == 2 and message in r.stderr

def test_weights_required(images, tmp_path):
    r = run(images / 'photo.png', '--classes', 'dog', '--out', tmp_path)
    assert r.returncode == 2 and '--weights is required' in r.stderr

def test_bad_images_and_weights(weights, images, tmp_path):
    r = run(images / 'missing.png', '--classes', 'dog', '--weights', weights, '--out', tmp_path)
    assert r.returncode == 2 and 'not found' in r.stderr
    r = run(images / 'notes.png', '--classes', 'dog', '--weights', weights, '--out', tmp_path)
    assert r.returncode == 2 and 'cannot read' in r.stderr
    r = run(images / 'tiny.png', '--classes', 'dog', '--weights', weights, '--out', tmp_path, '--short-side', 0)
    assert r.returncode == 2 and 'smaller than one 8x8 patch' in r.stderr
    r = run(images / 'photo.png', '--classes', 'dog', '--weights', tmp_path / 'no_such_model', '--out', tmp_path)
    assert r.returncode == 2 and '--weights: no checkpoint at' in r.stderr      # refused before torch is imported
    (tmp_path / 'broken.pth').write_bytes(b'not a checkpoint')
    r = run(images / 'photo.png', '--classes', 'dog', '--weights', tmp_path / 'broken.pth', '--out', tmp_path)
    assert r.returncode == 1 and 'cannot load --weights' in r.stderr

def test_same_file_names_get_unique_outputs_and_nothing_is_overwritten(weights, tmp_path):
    "a/x.png b/x.png c/x_1.png: three different pictures, three label maps, each the segmentation of its own input."
    rs = np.random.RandomState(1)
    paths = []
    for folder, name, size in (('a', 'x', (40, 56)), ('b', 'x', (48, 40)), ('c', 'x_1', (32, 64))):
        (tmp_path / folder).mkdir()
        p = tmp_path / folder / f'{name}.png'
        Image.fromarray(rs.randint(0, 256, (*size, 3), dtype=np.uint8)).save(p)
        paths.append(p)
    out = tmp_path / 'out'
    args = [*paths, '--classes', 'dog,grass', '--weights', weights, '--out', out, '--mode', 'whole', '--short-side', 0]
    r = run(*args)
    assert r.returncode == 0, r.stderr
    model = GroupViT.from_pretrained(weights)
    for p, stem in zip(paths, ('x', 'x_2', 'x_1')):
        lab = np.array(Image.open(out / f'{stem}_labels.png'))
        ref = segment(model, p, ['dog', 'grass'], mode='whole', short_side=0)[0]
        np.testing.assert_array_equal(lab, ref.numpy())
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    assert len(before) == 7                                           # classes.json + 2 per image
    r = run(*args)                                                    # a second run into the same --out
    assert r.returncode == 2 and 'already holds' in r.stderr and '--overwrite' in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before
    r = run(*args, '--overwrite')
    assert r.returncode == 0, r.stderr


def test_exif_orientation_gives_labels_of_the_displayed_size(weights, tmp_path):
    stored = Image.fromarray(np.random.RandomState(2).randint(0, 256, (40, 72, 3), dtype=np.uint8))  # 72 wide, 40 high
    exif = stored.getexif(); exif[0x0112] = 8                          # "rotate 90° counter-clockwise to view"
    stored.save(tmp_path / 'turned.jpg', exif=exif)
    r = run(tmp_path / 'turned.jpg', '--classes', 'dog,grass', '--weights', weights, '--out', tmp_path / 'o',
            '--mode', 'whole', '--short-side', 0)
    assert r.returncode == 0, r.stderr
    lab = np.array(Image.open(tmp_path / 'o' / 'turned_labels.png'))
    assert lab.shape == (72, 40)                                        # as shown: 40 wide, 72 high
    from groupvit_nb.patch import load_image as training_load   # the loader training uses too
    shown = training_load(tmp_path / 'turned.jpg')
    ref = segment(GroupViT.from_pretrained(weights), shown, ['dog', 'grass'], mode='whole', short_side=0)[0]
    np.testing.assert_array_equal(lab, ref.numpy())


def test_the_model_folder_carries_its_zero_shot_settings(weights, images, tmp_path):
    "A saved model's own background threshold (zero_shot.json) is used unless --bg-thresh is given."
    folder = tmp_path / 'model'
    shutil.copytree(weights, folder)
    (folder / 'zero_shot.json').write_text(json.dumps({'bg_thresh': 0.0}))   # θ = 0: no pixel is background
    assert GroupViT.from_pretrained(folder).zero_shot['bg_thresh'] == 0.0
    yy, xx = np.mgrid[:96, :128]                                             # sky, grass and a red disc
    scene = np.zeros((96, 128, 3), np.uint8); scene[:40] = (120, 170, 235); scene[40:] = (70, 150, 60)
    scene[((yy - 60) ** 2 + (xx - 80) ** 2) < 300] = (200, 40, 40)
    Image.fromarray(scene).save(tmp_path / 'scene.png')
    common = [tmp_path / 'scene.png', '--classes', 'dog,grass', '--weights', folder, '--mode', 'whole', '--short-side', 0]
    r = run(*common, '--out', tmp_path / 'own')
    assert r.returncode == 0, r.stderr
    assert np.array(Image.open(tmp_path / 'own' / 'scene_labels.png')).min() >= 1
    r = run(*common, '--out', tmp_path / 'given', '--bg-thresh', 1)          # θ = 1: background wherever not the best segment
    assert r.returncode == 0, r.stderr
    lab = np.array(Image.open(tmp_path / 'given' / 'scene_labels.png'))
    ref = segment(GroupViT.from_pretrained(weights), tmp_path / 'scene.png', ['dog', 'grass'], mode='whole', short_side=0,
                  bg_thresh=1.0)[0]
    np.testing.assert_array_equal(lab, ref.numpy())
    assert (lab == 0).any()


def test_precision_bf16_runs_and_fp16_needs_a_gpu(weights, images, tmp_path):
    "--precision bf16 writes the labels of segment(precision='bf16'); fp16 on a CPU stops with one line, status 2."
    r = run(images / 'photo.png', '--classes', ','.join(CLASSES), '--weights', weights, '--out', tmp_path / 'b',
            '--mode', 'whole', '--short-side', 0, '--precision', 'bf16', '--device', 'cpu')
    assert r.returncode == 0, r.stderr
    lab = np.array(Image.open(tmp_path / 'b' / 'photo_labels.png'))
    ref = segment(GroupViT.from_pretrained(weights), images / 'photo.png', CLASSES, mode='whole', short_side=0,
                  precision='bf16')[0]
    np.testing.assert_array_equal(lab, ref.numpy())
    r = run(images / 'photo.png', '--classes', 'dog', '--weights', weights, '--out', tmp_path / 'h',
            '--precision', 'fp16', '--device', 'cpu')
    assert r.returncode == 2 and '--precision fp16 needs a CUDA GPU' in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / 'h').exists()

def test_bg_mode_and_refine_reach_segment(tmp_path):
    "`--bg-mode logit --refine pamr` gives exactly `segment(..., bg_mode='logit', refine='pamr')`; on the demo model PAMR moves borders."
    from groupvit_nb.demo import demo_dir, demo_shapes
    test = demo_shapes(1, 'test')
    Image.fromarray(test.sample(0)['image']).save(tmp_path / 'shapes.png')
    names = list(test.class_names)
    args = (tmp_path / 'shapes.png', '--classes', ','.join(names), '--weights', demo_dir(), '--mode', 'whole', '--short-side', 0,
            '--bg-mode', 'logit', '--bg-thresh', 0.3)
    r1, r2 = run(*args, '--out', tmp_path / 'plain'), run(*args, '--out', tmp_path / 'pamr', '--refine', 'pamr')
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr
    model, labs = GroupViT.from_pretrained(demo_dir()), {}
    for sub, refine in (('plain', None), ('pamr', 'pamr')):
        labs[sub] = np.array(Image.open(tmp_path / sub / 'shapes_labels.png'))
        ref = segment(model, tmp_path / 'shapes.png', names, mode='whole', short_side=0, bg_mode='logit', bg_thresh=0.3,
                      refine=refine)[0]
        np.testing.assert_array_equal(labs[sub], ref.numpy())
    assert len(np.unique(labs['plain'])) > 1 and (labs['plain'] != labs['pamr']).any()
    r = run(*args, '--out', tmp_path / 'bad', '--refine', 'crf')
    assert r.returncode == 2 and "invalid choice: 'crf'" in r.stderr


def test_a_class_the_model_never_met_is_named_in_one_warning_line(tmp_path):
    "The shipped demo model knows its shapes only: 'cat' gets one warning line naming it; a released model (no vocabulary) none."
    from groupvit_nb.demo import PlainShapes, demo_dir
    Image.fromarray(PlainShapes(1).sample(0)['image']).save(tmp_path / 'shapes.png')
    r = run(tmp_path / 'shapes.png', '--classes', 'cat,circle', '--weights', demo_dir(), '--out', tmp_path / 'a')
    assert r.returncode == 0, r.stderr
    warns = [l for l in r.stderr.splitlines() if 'warning' in l]
    assert len(warns) == 1 and "'cat'" in warns[0] and "'circle'" not in warns[0], r.stderr
    assert warns[0].startswith('groupvit_segment: warning: the model was never trained on'), warns
    r = run(tmp_path / 'shapes.png', '--classes', 'circle,square/star', '--weights', demo_dir(), '--out', tmp_path / 'b')
    assert r.returncode == 0 and 'never trained' not in r.stderr, r.stderr
    model = GroupViT.from_pretrained(demo_dir())                        # without a vocabulary: nothing to say
    model.vocabulary = None
    model.save_pretrained(tmp_path / 'released', zero_shot=model.zero_shot)
    r = run(tmp_path / 'shapes.png', '--classes', 'cat,circle', '--weights', tmp_path / 'released', '--out', tmp_path / 'c')
    assert r.returncode == 0 and 'never trained' not in r.stderr, r.stderr


def test_the_model_folder_carries_its_geometry(weights, images, tmp_path):
    "With no geometry flag, groupvit_segment uses the model's short side, mode, window and stride; a flag wins over them."
    folder = tmp_path / 'model'
    shutil.copytree(weights, folder)
    (folder / 'zero_shot.json').write_text(json.dumps(dict(short_side=32, mode='slide', window=32, stride=16)))
    model = GroupViT.from_pretrained(folder)
    r = run(images / 'photo.png', '--classes', 'dog,grass', '--weights', folder, '--out', tmp_path / 'own')
    assert r.returncode == 0, r.stderr
    own = segment(model, images / 'photo.png', ['dog', 'grass'], short_side=32, mode='slide', window=32, stride=16)[0]
    np.testing.assert_array_equal(np.array(Image.open(tmp_path / 'own' / 'photo_labels.png')), own.numpy())
    r = run(images / 'photo.png', '--classes', 'dog,grass', '--weights', folder, '--out', tmp_path / 'whole', '--mode', 'whole')
    assert r.returncode == 0, r.stderr
    whole = segment(model, images / 'photo.png', ['dog', 'grass'], short_side=32, mode='whole')[0]
    np.testing.assert_array_equal(np.array(Image.open(tmp_path / 'whole' / 'photo_labels.png')), whole.numpy())
