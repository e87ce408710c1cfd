"""`groupvit_app` in a real browser: the page is served by the console script's code in a subprocess, opened in headless
Chromium through Playwright, and used as a person would (upload, type, click). The label map the page offers for
download must equal `segment`'s on the same picture, pixel for pixel.

Needs Debian's `chromium` (/usr/bin/chromium) and the `playwright` package (no `playwright install`: the system's
browser is used); the test is skipped, saying which is missing, only when one of them is absent."""
import io, os, shutil, subprocess, sys
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
def app_url(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp('app') / 'server.log'
    env = {**os.environ, 'GRADIO_ANALYTICS_ENABLED': 'False', 'HF_HUB_OFFLINE': '1',
           'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))}
    with open(log, 'w') as f:
        proc = subprocess.Popen([sys.executable, '-c', 'from groupvit_nb.cli import app_main; app_main()', '--port', str(port)],
                                stdout=f, stderr=subprocess.STDOUT, env=env)
    url = f'http://127.0.0.1:{port}/'
    try:
        assert wait_for(url, proc), f'groupvit_app did not start:\n{log.read_text()[-3000:]}'
        yield url
    finally:
        proc.terminate()
        try: proc.wait(30)
        except subprocess.TimeoutExpired: proc.kill()


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
    from groupvit_nb.app import load_model, inference_settings, synonym_embeddings, parse_classes
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
                                                           '0: background, 1: circle, 2: square, 3: triangle, 4: star, 5: heart, 6: cross')
    page.screenshot(path=str(tmp_path / 'app.png'), full_page=True)
    body = page.request.get(link.get_attribute('href')).body()
    labels = np.load(io.BytesIO(body))
    # the reference: segment() on the same file, with the same class embeddings (square = mean of square and box)
    model = load_model()
    bg, templates, bg_mode = zero_shot_settings(model)
    parsed = parse_classes(CLASSES)
    ref = segment(model, load_image(pic), [c[0] for c in parsed], bg_thresh=bg, templates=templates, bg_mode=bg_mode,
                  text_emb=synonym_embeddings(model, parsed, templates), refine='pamr' if refine else None,
                  **inference_settings(model))[0].numpy()
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
    expect(page.get_by_text('the class list is empty', exact=False).first).to_be_visible(timeout=120_000)
    page.screenshot(path=str(tmp_path / 'error.png'))
    page.close()
