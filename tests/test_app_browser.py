"""`groupvit_app` in a real browser: the page is served by the console script's code in a subprocess, opened in headless
Chromium through Playwright, and used as a person would (upload, type, click). The label map the page offers for
download must equal `segment`'s on the same picture, pixel for pixel. The page shows a card of the loaded model (with
the demo model's note that it only knows its synthetic world) and keeps its example row; every bad input and every
failure while segmenting gives a message that names the field and says what to do, keeps the last good result, and
writes one line (no traceback) to the server's console; the API endpoint is `segment` with the fields' names.

Needs Debian's `chromium` (/usr/bin/chromium) and the `playwright` package (no `playwright install`: the system's
browser is used); the test is skipped, saying which is missing, only when one of them is absent."""
import io, json, os, shutil, subprocess, sys, urllib.request
from pathlib import Path
import numpy as np
import pytest
from _servers import free_port, wait_for
from PIL import Image

CHROMIUM = shutil.which('chromium') or ('/usr/bin/chromium' if Path('/usr/bin/chromium').exists() else None)
try:
    from playwright.sync_api import sync_playwright, expect
except ImportError: sync_playwright = None

pytestmark = [pytest.mark.skipif(sync_playwright is None, reason='the playwright package is not installed (pip install playwright)'),
              pytest.mark.skipif(CHROMIUM is None, reason='chromium is not installed (apt-get install -y chromium)')]
ROOT = Path(__file__).resolve().parents[1]
CLASSES = 'circle, square/box, triangle, star, heart, cross'




@pytest.fixture(scope='module')
def server(tmp_path_factory):
    "`groupvit_app` on a free port: its URL and the file that holds its console (stdout and stderr)."
    port = free_port()
    log = tmp_path_factory.mktemp('app') / 'server.log'
    env = {**os.environ, 'GRADIO_ANALYTICS_ENABLED': 'False', 'HF_HUB_OFFLINE': '1',
           'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))}
    env.pop('GROUPVIT_TRACEBACK', None)
    with open(log, 'w') as f:
        proc = subprocess.Popen([sys.executable, '-c', 'from groupvit_nb.cli import app_main; app_main()', '--port', str(port)],
                                stdout=f, stderr=subprocess.STDOUT, env=env)
    url = f'http://127.0.0.1:{port}/'
    try:
        assert wait_for(url, proc), f'groupvit_app did not start:\n{log.read_text()[-3000:]}'
        yield dict(url=url, log=log)
    finally:
        proc.terminate()
        try: proc.wait(30)
        except subprocess.TimeoutExpired: proc.kill()


@pytest.fixture(scope='module')
def app_url(server): return server['url']


@pytest.fixture(scope='module')
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
        yield b
        b.close()


def _picture(path:Path) -> Path:
    "A picture of the demo's world at 3× its size, as a user's upload would be."
    from groupvit_nb.demo import demo_shapes
    Image.fromarray(demo_shapes(1, seed=11).sample(0)['image']).resize((144, 144), Image.BICUBIC).save(path)
    return path


@pytest.mark.parametrize('refine', [False, True], ids=['official', 'pamr'])
def test_segment_in_browser(app_url, browser, tmp_path, refine):
    from groupvit_nb.app import load_model, synonym_embeddings, parse_classes
    from groupvit_nb.segment import segment, load_image, zero_shot_settings
    pic = _picture(tmp_path / 'shapes.png')
    page = browser.new_page(viewport={'width': 1400, 'height': 1100})
    page.goto(app_url, timeout=120_000)
    page.locator('#image input[type=file]').set_input_files(str(pic))
    page.locator('#classes textarea').fill(CLASSES)
    if refine: page.locator('#refine input[type=checkbox]').check()
    page.locator('#segment').click()
    link = page.locator('#labels_file a[href*="labels.npy"]').first
    link.wait_for(timeout=300_000)
    zs = load_model().zero_shot                                          # the shipped demo model's own rule and threshold
    expect(page.locator('#legend textarea')).to_have_value(f"background threshold {zs['bg_thresh']:g} ({zs['bg_mode']} rule); labels "
                                                           '0: background (not tinted), 1: circle, 2: square, 3: triangle, 4: star, '
                                                           '5: heart, 6: cross')
    page.screenshot(path=str(tmp_path / 'app.png'), full_page=True)
    body = page.request.get(link.get_attribute('href')).body()
    labels = np.load(io.BytesIO(body))
    # the reference: segment() on the same file, with the same class embeddings (square = mean of square and box)
    model = load_model()
    z = zero_shot_settings(model)                                        # the model's own settings, geometry included
    parsed = parse_classes(CLASSES)
    ref = segment(model, load_image(pic), [c[0] for c in parsed], text_emb=synonym_embeddings(model, parsed, z['templates']),
                  refine='pamr' if refine else None, **z)[0].numpy()
    assert labels.shape == ref.shape == (144, 144)
    assert (labels == ref).all(), f'{(labels != ref).sum()} pixels differ'
    assert len(np.unique(labels)) > 1                                    # something was found, not all background
    table = page.locator('#areas')
    for name in ('background', 'circle', 'square', 'triangle', 'star', 'heart', 'cross'): expect(table).to_contain_text(name)
    counts = np.bincount(labels.ravel(), minlength=7)
    expect(table).to_contain_text(str(int(counts.max())))               # the largest area, in pixels
    assert (tmp_path / 'app.png').stat().st_size > 0
    page.close()


def test_empty_classes_in_browser(app_url, browser, tmp_path):
    page = browser.new_page()
    page.goto(app_url, timeout=120_000)
    page.locator('#image input[type=file]').set_input_files(str(_picture(tmp_path / 'p.png')))
    page.locator('#classes textarea').fill(' ')
    page.locator('#segment').click()
    expect(page.locator('#message')).to_contain_text('classes: the class list is empty', timeout=120_000)
    page.screenshot(path=str(tmp_path / 'error.png'))
    page.close()


def test_model_card_and_example_row(app_url, browser, tmp_path):
    "The card of the shipped demo model says what it knows, its size, and that it only knows its synthetic world."
    from groupvit_nb.app import load_model
    page = browser.new_page(viewport={'width': 1400, 'height': 1100})
    page.goto(app_url, timeout=120_000)
    card = page.locator('#model_card')
    expect(card).to_contain_text('shipped demo model', timeout=60_000)
    expect(card).to_contain_text('native input size 48×48 pixels')
    expect(card).to_contain_text(f'name {len(load_model().vocabulary)} nouns')
    expect(card).to_contain_text('It only knows its synthetic world')
    page.get_by_text('example (demo world)').first.wait_for()
    page.get_by_role('gridcell', name='circle, square, triangle, star, heart, cross').click()   # the example row
    expect(page.locator('#classes textarea')).to_have_value('circle, square, triangle, star, heart, cross', timeout=60_000)
    page.locator('#segment').click()
    page.locator('#labels_file a[href*="labels.npy"]').first.wait_for(timeout=300_000)
    expect(page.locator('#message')).to_have_text('')
    page.close()


def _upload(page, path):
    "Upload `path` into the image field, removing the file it holds first (as a person would, with its Clear button)."
    clear = page.locator('#image button[aria-label="Clear"]')
    if clear.count(): clear.first.click()
    page.locator('#image input[type=file]').set_input_files(str(path))


def _console_errors(server) -> list:
    return [l for l in server['log'].read_text().splitlines() if l.startswith('groupvit_app: error:')]


def test_failures_say_what_to_do_and_keep_the_last_result(server, browser, tmp_path):
    """A good result first; then a file that is not a picture, a threshold that is not a number, an empty class list,
    weights that cannot be loaded and weights with NaN in them: each gives its message (the field named), the result
    stays, and the console gets one line per failure, without a traceback. A class the model never met is named too."""
    import torch
    from groupvit_nb.core import GroupViT
    from groupvit_nb.demo import demo_dir
    broken = GroupViT.from_pretrained(demo_dir())
    with torch.no_grad(): next(broken.img_encoder.parameters()).fill_(float('nan'))
    broken.save_pretrained(tmp_path / 'broken', zero_shot=broken.zero_shot)
    (tmp_path / 'fake.png').write_text('this is not a picture')
    page = browser.new_page(viewport={'width': 1400, 'height': 1100})
    page.goto(server['url'], timeout=120_000)
    page.locator('#image input[type=file]').set_input_files(str(_picture(tmp_path / 'good.png')))
    page.locator('#classes textarea').fill(CLASSES)
    page.locator('#segment').click()
    link = page.locator('#labels_file a[href*="labels.npy"]').first
    link.wait_for(timeout=300_000)
    href, legend = link.get_attribute('href'), page.locator('#legend textarea').input_value()
    overlay = page.locator('#overlay img').first.get_attribute('src')
    before = len(_console_errors(server))
    message = page.locator('#message')

    def kept():                                                           # the last good result is still on the page
        assert page.locator('#labels_file a[href*="labels.npy"]').first.get_attribute('href') == href
        assert page.locator('#legend textarea').input_value() == legend
        assert page.locator('#overlay img').first.get_attribute('src') == overlay

    _upload(page, tmp_path / 'fake.png')                                 # not a picture: said at upload
    expect(message).to_contain_text("image: cannot read 'fake.png' as an image", timeout=60_000)
    expect(message).to_contain_text('give a JPEG or PNG file')
    page.locator('#segment').click()                                      # and again when segmenting
    page.wait_for_timeout(1500); expect(message).to_contain_text("image: cannot read 'fake.png'"); kept()
    _upload(page, tmp_path / 'good.png')
    expect(message).to_have_text('', timeout=60_000)
    cases = [('#bg input, #bg textarea', 'abc', "background threshold: 'abc' is not a number; type one such as 0.95"),
             ('#classes textarea', ' ', 'classes: the class list is empty'),
             ('#weights textarea, #weights input', str(tmp_path / 'nothing'), 'weights: cannot load'),
             ('#weights textarea, #weights input', str(tmp_path / 'broken'), 'the model failed while segmenting')]
    def type_in(box, value):                                              # as a person does: type, then leave the box
        box.fill(value); box.press('Tab'); expect(box).to_have_value(value)

    for sel, value, text in cases:
        box = page.locator(sel).first
        old = box.input_value()
        type_in(box, value)
        page.locator('#segment').click()
        expect(message).to_contain_text(text, timeout=120_000)
        kept()
        type_in(box, old)
    type_in(page.locator('#classes textarea'), 'cat, circle')             # a class the demo model never met
    page.locator('#segment').click()
    expect(message).to_contain_text("the model was never trained on 'cat'", timeout=120_000)
    page.screenshot(path=str(tmp_path / 'failures.png'), full_page=True)
    page.close()
    errors = _console_errors(server)[before:]
    assert len(errors) == 2 + len(cases), errors                           # one line per failure
    log = server['log'].read_text()
    assert 'Traceback' not in log, log[-3000:]


def test_api_endpoint_and_parameters_have_names(app_url):
    with urllib.request.urlopen(app_url + 'gradio_api/info', timeout=60) as r: info = json.load(r)
    assert list(info['named_endpoints']) == ['/segment'], info['named_endpoints'].keys()
    params = [p['parameter_name'] for p in info['named_endpoints']['/segment']['parameters']]
    assert params == ['image', 'classes', 'weights', 'bg_thresh', 'refine'], params
