"""Bad inputs to zero-shot segmentation, the encoders and `groupvit_segment`, each answered with one sentence.

Every case is an input that once passed silently (a NaN label map, every pixel class 1) or ended in a traceback.
The library cases run in-process on a random-weight tiny model; the command-line cases run the console script and
check the exit status (2: bad input) and that stderr is exactly one line naming the problem."""
import resource, shutil, subprocess, sys, textwrap
import numpy as np
import pytest
import torch
from PIL import Image

from groupvit_nb.core import groupvit_tiny
from groupvit_nb.segment import segment, zero_shot_settings, group_class_scores

NAMES = ['dog', 'grass', 'sky']


@pytest.fixture(scope='module')
def tiny():
    torch.manual_seed(0)
    return groupvit_tiny().eval()


@pytest.fixture(scope='module')
def text_emb():
    return torch.nn.functional.normalize(torch.randn(3, 128, generator=torch.Generator().manual_seed(1)), dim=-1)


def _image(): return torch.randn(1, 3, 32, 48, generator=torch.Generator().manual_seed(2))

def _nan_pixel(): x = _image(); x[0, 1, 4, 7] = float('nan'); return x

def _inf_image(): return torch.full((1, 3, 32, 48), float('inf'))

def _nan_text(t): t = t.clone(); t[1, 3] = float('nan'); return t


SEGMENT_CASES = [  # (id, keyword arguments for segment besides model/class names, error type, part of the message)
    ('nan-pixel', lambda t: dict(images=_nan_pixel(), text_emb=t), ValueError, 'contain NaN or infinite'),
    ('inf-image', lambda t: dict(images=_inf_image(), text_emb=t), ValueError, 'contain NaN or infinite'),
    ('nan-text-embedding', lambda t: dict(images=_image(), text_emb=_nan_text(t)), ValueError, 'text embeddings contain NaN'),
    ('top_k=0', lambda t: dict(images=_image(), text_emb=t, top_k=0), ValueError, 'top_k must be a positive'),
    ('top_k=-1', lambda t: dict(images=_image(), text_emb=t, top_k=-1), ValueError, 'top_k must be a positive'),
    ('top_k=2.5', lambda t: dict(images=_image(), text_emb=t, top_k=2.5), ValueError, 'top_k must be a positive'),
    ('short_side=-5', lambda t: dict(images=_image(), text_emb=t, short_side=-5), ValueError, 'short_side must be'),
    ('bg_thresh=nan', lambda t: dict(images=_image(), text_emb=t, bg_thresh=float('nan')), ValueError, 'finite number'),
    ('mode', lambda t: dict(images=_image(), text_emb=t, mode='tiles'), ValueError, "'whole' or 'slide'"),
    ('too-many-pixels', lambda t: dict(images=Image.new('RGB', (300, 200)), text_emb=t, max_pixels=10_000),
     ValueError, '300x200 pixels, more than max_pixels=10000'),
    ('text_emb-rows', lambda t: dict(images=_image(), text_emb=t[:2]), ValueError, 'one row per class'),
    ('uint8-tensor', lambda t: dict(images=torch.zeros(1, 3, 32, 32, dtype=torch.uint8), text_emb=t), TypeError, 'must be float'),
    # a threshold outside its rule's range made every pixel background, silently; segment() is the one place it is checked
    ('bg_thresh=5', lambda t: dict(images=_image(), text_emb=t, bg_thresh=5), ValueError,
     'bg_thresh must lie in [0, 1] with the threshold rule, got 5'),
    ('bg_thresh=-2-logit', lambda t: dict(images=_image(), text_emb=t, bg_thresh=-2, bg_mode='logit'), ValueError,
     'bg_thresh must lie in [-1, 1] with the logit rule, got -2'),
    ('text_emb-width', lambda t: dict(images=_image(), text_emb=t[:, :64]), ValueError,
     "text_emb has 64 columns but this model's embeddings have 128"),
    ('batch_size=0', lambda t: dict(images=_image(), text_emb=t, batch_size=0, mode='slide', window=16, stride=8), ValueError,
     'batch_size must be a positive whole number of windows, got 0'),
]


@pytest.mark.parametrize('make,error,message', [c[1:] for c in SEGMENT_CASES], ids=[c[0] for c in SEGMENT_CASES])
def test_segment_refuses(tiny, text_emb, make, error, message):
    kw = make(text_emb)
    with pytest.raises(error, match=None) as e:
        segment(tiny, kw.pop('images'), NAMES, **{'mode': 'whole', 'short_side': 0, **kw})
    assert message in str(e.value) and '\n' not in str(e.value)


def test_top_k_zero_in_group_class_scores(tiny):
    with torch.no_grad(): out = tiny.encode_segments(_image())
    with pytest.raises(ValueError, match='top_k must be a positive'):
        group_class_scores(out['segment_emb'], out['image_emb'], torch.randn(3, 128), tiny.logit_scale, top_k=0)


def test_nan_weights_raise_instead_of_labelling_every_pixel(text_emb):
    broken = groupvit_tiny().eval()
    with torch.no_grad(): broken.img_projector.linear_out.bias.fill_(float('nan'))
    with pytest.raises(RuntimeError, match='NaN or infinite scores for image 0'):
        segment(broken, _image(), NAMES, mode='whole', short_side=0, text_emb=text_emb)


def test_float64_images_are_converted(tiny, text_emb):
    x = _image()
    with torch.no_grad():
        torch.testing.assert_close(tiny.encode_image(x.double()), tiny.encode_image(x), atol=1e-4, rtol=1e-4)
    a, sa = segment(tiny, x.double(), NAMES, mode='whole', short_side=0, text_emb=text_emb, return_scores=True)
    b, sb = segment(tiny, x, NAMES, mode='whole', short_side=0, text_emb=text_emb, return_scores=True)
    torch.testing.assert_close(sa, sb, atol=1e-4, rtol=1e-4)


def test_encode_image_names_a_list(tiny):
    "A list of images gets a sentence (it once did, then an AttributeError from deep inside)."
    with pytest.raises(TypeError, match=r'images must be a torch.Tensor \[B, 3, H, W\], got list; stack a list with torch.stack'):
        tiny.encode_image([torch.randn(3, 32, 32)])


@pytest.mark.parametrize('kw,message', [
    (dict(size=(48.0, 48)), "size must be (H, W), two whole multiples of the 8-pixel patch (or one for a square), got (48.0, 48)"),
    (dict(size=(50, 48)), 'two whole multiples of the 8-pixel patch'),
    (dict(size=(48, 48), batch_size=0), 'batch_size must be a positive whole number of images, got 0'),
    (dict(size=48, batch_size=2.0), 'batch_size must be a positive whole number of images, got 2.0'),
], ids=['float-size', 'size-not-a-multiple', 'batch_size=0', 'float-batch_size'])
def test_export_segmenter_refuses(tiny, kw, message):
    from groupvit_nb.segment import export_segmenter
    with pytest.raises(ValueError) as e: export_segmenter(tiny, NAMES, **kw)
    assert message in str(e.value) and '\n' not in str(e.value), e.value


def test_export_segmenter_takes_one_size_as_a_square(tiny):
    from groupvit_nb.segment import export_segmenter
    prog = export_segmenter(tiny, NAMES, size=32)
    assert prog.module()(torch.zeros(1, 3, 32, 32)).shape == (1, 4, 32, 32)


def test_decode_names_an_id_outside_the_vocabulary():
    "An id CLIP's tokenizer never makes was decoded to '' silently."
    from groupvit_nb.text import decode
    with pytest.raises(ValueError, match=r"token id 60000 is not in CLIP's vocabulary \(ids 0 to 49407\)"):
        decode(torch.tensor([49406, 60000, 49407]))
    with pytest.raises(ValueError, match='token id -1'): decode([-1])


@pytest.mark.parametrize('tokens,message', [
    (torch.full((1, 77), 49408), 'token ids must lie in [0, 49408)'),
    (torch.full((2, 3, 77), -3), 'from -3 to -3'),
], ids=['id-too-large', 'negative-id'])
def test_encode_text_names_out_of_vocabulary_ids(tiny, tokens, message):
    with pytest.raises(ValueError) as e: tiny.encode_text(tokens)
    assert message in str(e.value)


def test_model_settings_are_used_unless_overridden(tiny, text_emb):
    x = _image()
    kw = dict(mode='whole', short_side=0, text_emb=text_emb)
    tiny.zero_shot = {'bg_thresh': 1.0}                       # θ = 1: only the best segment stays foreground
    try:
        own = segment(tiny, x, NAMES, **kw)
        assert torch.equal(own, segment(tiny, x, NAMES, bg_thresh=1.0, **kw)) and (own == 0).any()
        assert (segment(tiny, x, NAMES, bg_thresh=0.0, **kw) != 0).all()   # the argument wins
    finally: del tiny.zero_shot
    assert zero_shot_settings(tiny) == dict(bg_thresh=0.95, templates='simple', bg_mode='threshold', short_side=448, mode='slide',
                                            window=448, stride=224)


# ---- the command line ----

def run(*args, timeout=300):
    exe = shutil.which('groupvit_segment')
    cmd = [exe] if exe else [sys.executable, '-c', 'from groupvit_nb.cli import segment_main; segment_main()']
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope='module')
def photo(tmp_path_factory):
    p = tmp_path_factory.mktemp('img') / 'photo.png'
    Image.fromarray(np.random.RandomState(0).randint(0, 256, (40, 56, 3), dtype=np.uint8)).save(p)
    return p


CLI_CASES = [  # (id, extra arguments, part of the one-line message)
    ('short-side-negative', ['--short-side', '-5'], 'argument --short-side: must be at least 0, got -5'),
    ('window-zero', ['--window', '0'], 'argument --window: must be at least 1, got 0'),
    ('stride-negative', ['--stride', '-1'], 'argument --stride: must be at least 1, got -1'),
    ('max-pixels-zero', ['--max-pixels', '0'], 'argument --max-pixels: must be at least 1, got 0'),
    ('bg-thresh-nan', ['--bg-thresh', 'nan'], 'argument --bg-thresh: must be a finite number, got nan'),
    ('device-tpu', ['--device', 'tpu'], "argument --device: 'tpu' is not a device"),
    ('device-cuda-index', ['--device', 'cuda:99'], '--device cuda:99'),
    ('classes-blank', ['--classes', ' , '], '--classes: class_names contains an empty name'),
    ('classes-repeated', ['--bg-mode', 'threshold', '--classes', 'cat'], '--classes was given twice; give all its values in one --classes'),
    ('bg-thresh-5', ['--bg-thresh', '5'], 'bg_thresh must lie in [0, 1] with the threshold rule, got 5'),
]
if not torch.cuda.is_available():
    CLI_CASES.append(('device-cuda-without-gpu', ['--device', 'cuda'], 'no CUDA GPU is visible'))


@pytest.mark.parametrize('extra,message', [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_exits_2_with_one_line(weights, photo, tmp_path, extra, message):
    args = [photo, '--classes', 'dog,grass', '--weights', weights, '--out', tmp_path / 'out']
    if extra[0] == '--classes': args[2] = extra[1]
    else: args += extra
    r = run(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert not (tmp_path / 'out').exists()                    # refused before anything was written


def test_cli_too_large_image_is_refused_before_decoding(weights, tmp_path):
    "A 12000² image: the size is read from the file header and refused, without decoding 430 MB of pixels."
    big = tmp_path / 'big.png'
    Image.new('1', (12000, 12000)).save(big)                     # 1-bit: a small file, a huge picture
    r = run(big, '--classes', 'dog', '--weights', weights, '--out', tmp_path / 'out')
    assert r.returncode == 2 and '12000x12000 pixels, more than max_pixels' in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_large_image_memory_stays_bounded(tmp_path):
    """A 6000² photo at the default settings: the picture is resized from its 8-bit pixels and the labels are
    upsampled band by band, so the peak memory grows by little more than the label map itself (6000² int64 = 288 MB),
    not by several full-size float copies (about 2.1 GB before)."""
    script = tmp_path / 'mem.py'
    script.write_text(textwrap.dedent('''
        import resource, warnings; warnings.simplefilter('ignore')
        import torch
        from PIL import Image
        from groupvit_nb.core import groupvit_tiny
        from groupvit_nb.segment import segment
        img = Image.new('RGB', (6000, 6000), (90, 120, 200))
        torch.manual_seed(0); m = groupvit_tiny().eval()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        lab = segment(m, img, ['a', 'b', 'c'], short_side=64, mode='whole', text_emb=torch.randn(3, 128))
        assert lab.shape == (1, 6000, 6000)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
    '''))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                       env={**__import__('os').environ, 'OMP_NUM_THREADS': '1'})
    assert r.returncode == 0, r.stderr
    growth_mb = float(r.stdout.strip().splitlines()[-1])
    assert growth_mb < 900, f'peak memory grew by {growth_mb:.0f} MB'


def test_cli_a_folder_is_not_an_image(weights, photo, tmp_path):
    "A folder among the images was reported as 'not found'."
    r = run(photo, photo.parent, '--classes', 'dog', '--weights', weights, '--out', tmp_path / 'out')
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"image file(s) must be files: {photo.parent} is a folder" in r.stderr, r.stderr


def test_cli_a_folder_another_run_writes_into_is_refused(weights, photo, tmp_path):
    "Two runs into one --out could both pass the check for earlier outputs and both exit 0: the folder is claimed first."
    from groupvit_nb.cli import claim_folder, release_folder
    out = tmp_path / 'out'
    held = claim_folder(out, 'groupvit_segment run')                 # as a running groupvit_segment holds it
    try:
        r = run(photo, '--classes', 'dog', '--weights', weights, '--out', out)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert f'{out} is in use by another groupvit_segment run' in r.stderr, r.stderr
        assert sorted(p.name for p in out.iterdir()) == ['.lock']    # the refused run wrote nothing
    finally: release_folder(held, out)
    r = run(photo, '--classes', 'dog', '--weights', weights, '--out', out)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ['classes.json', 'photo_labels.png', 'photo_overlay.png']  # no lock left
    r = run(photo, '--classes', 'dog', '--weights', weights, '--out', out)        # the second run, after the first
    assert r.returncode == 2 and 'already holds' in r.stderr, r.stderr


def test_cli_damaged_weights_are_named(weights, photo, tmp_path):
    "A model.safetensors with damaged bytes loaded and segmented with exit 0; its SHA-256 is checked now."
    folder = tmp_path / 'model'
    shutil.copytree(weights, folder)
    raw = bytearray((folder / 'model.safetensors').read_bytes()); raw[-64] ^= 0xFF
    (folder / 'model.safetensors').write_bytes(bytes(raw))
    r = run(photo, '--classes', 'dog', '--weights', folder, '--out', tmp_path / 'out')
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"{folder / 'model.safetensors'} is damaged: its SHA-256 is not the one" in r.stderr, r.stderr
    assert not (tmp_path / 'out').exists()


def test_overlay_of_a_large_image_is_drawn_at_display_size(tmp_path):
    """The overlay of a 9000² picture (above the default pixel limit, as with a raised --max-pixels) is drawn at display
    size: it is not refused by the pixel limit of a reload, and it costs a small part of the picture's own memory
    (before, several full-size float copies: an 8000² image peaked at 6.6 GB in groupvit_segment)."""
    script = tmp_path / 'mem.py'
    script.write_text(textwrap.dedent('''
        import resource, warnings; warnings.simplefilter('ignore')
        import numpy as np, matplotlib; matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        from PIL import Image
        from groupvit_nb.segment import show_segmentation
        img = Image.new('RGB', (9000, 9000), (90, 120, 200))                # 81 M pixels > the default 67 M
        lab = np.zeros((9000, 9000), np.uint8); lab[:, 4500:] = 2
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        fig, ax = plt.subplots(figsize=(7.5, 6)); show_segmentation(img, lab, ['a', 'b'], ax=ax)
        fig.savefig('overlay.png', dpi=100, bbox_inches='tight')
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
    '''))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={**__import__('os').environ, 'OMP_NUM_THREADS': '1'})
    assert r.returncode == 0, r.stderr
    growth_mb = float(r.stdout.strip().splitlines()[-1])
    assert growth_mb < 250, f'drawing the overlay grew the peak memory by {growth_mb:.0f} MB'   # the picture alone: 243 MB
    assert Image.open(tmp_path / 'overlay.png').size[0] < 1200
