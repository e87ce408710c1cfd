"""A chapter run in a real JupyterLab: the server is started on a free port with a fresh folder holding a copy of
`nbs/03_grouping.ipynb`, the notebook is opened in headless Chromium (Playwright), and Run → Run All Cells is clicked
as a reader would. Every code cell must then have run, and none may show an error.

What counts as an error: an output of type `error` in the notebook JupyterLab saves (an exception in a cell, which
also stops Run All), or a traceback printed on stderr. Both are checked: the page (stderr outputs that contain a
traceback) and the saved file (error outputs, cells that never ran). A chapter also runs clean: no cell shows a
warning box (any output on stderr, such as a library's deprecation warning).

The kernel is a kernel spec of the test's own (`groupvit-test`), pointed at this interpreter, with the repository first
on `PYTHONPATH`, so the notebook imports this checkout's `groupvit_nb`; an extra last cell in the copy prints where it
came from. Its own name keeps it from being shadowed: in a virtual environment Jupyter prefers the environment's
`python3` spec ("Python 3 (ipykernel)") to one in `JUPYTER_DATA_DIR`. The test waits for the status bar to show a
kernel, whatever its display name, that is idle.
Needs Debian's `chromium` (/usr/bin/chromium) and the `playwright` package; skipped, saying which is missing, only when
one of them is absent."""
import json, os, re, secrets, shutil, subprocess, sys, time
from pathlib import Path
import pytest
from _servers import free_port, wait_for

CHROMIUM = shutil.which('chromium') or ('/usr/bin/chromium' if Path('/usr/bin/chromium').exists() else None)
try:
    from playwright.sync_api import sync_playwright
except ImportError: sync_playwright = None

pytestmark = [pytest.mark.skipif(sync_playwright is None, reason='the playwright package is not installed (pip install playwright)'),
              pytest.mark.skipif(CHROMIUM is None, reason='chromium is not installed (apt-get install -y chromium)'),
              pytest.mark.skipif(shutil.which('jupyter') is None and not (Path(sys.executable).parent / 'jupyter').exists(),
                                 reason='JupyterLab is not installed (pip install jupyterlab)')]
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = '03_grouping.ipynb'
PROBE = "import groupvit_nb; print('groupvit_nb from', groupvit_nb.__file__)"
KERNEL = 'groupvit-test'
# the status bar's kernel item, e.g. 'groupvit (test) | Idle' or 'Python 3 (ipykernel) | Idle'; before a kernel has
# started it reads 'No Kernel | Idle'
KERNEL_IDLE = re.compile(r'(?<!No Kernel) \| Idle')



def _folders(tmp:Path) -> dict:
    "A fresh Jupyter world: the notebook copy (plus a probe cell), the test's kernel spec, settings without windowing."
    work = tmp / 'work'; work.mkdir()
    nb = json.loads((ROOT / 'nbs' / NOTEBOOK).read_text())
    nb['cells'].append(dict(cell_type='code', metadata={}, source=PROBE, outputs=[], execution_count=None))
    nb['metadata']['kernelspec'] = dict(name=KERNEL, display_name='groupvit (test)', language='python')
    (work / NOTEBOOK).write_text(json.dumps(nb))
    data = tmp / 'data'; (data / 'kernels' / KERNEL).mkdir(parents=True)
    (data / 'kernels' / KERNEL / 'kernel.json').write_text(json.dumps(dict(
        argv=[sys.executable, '-m', 'ipykernel_launcher', '-f', '{connection_file}'], display_name='groupvit (test)',
        language='python',
        env=dict(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')])),
                 OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1')))))
    settings = tmp / 'settings' / '@jupyterlab' / 'notebook-extension'; settings.mkdir(parents=True)
    (settings / 'tracker.jupyterlab-settings').write_text(json.dumps({'windowingMode': 'none'}))  # every cell in the page
    return dict(work=work, data=data, settings=tmp / 'settings', config=tmp / 'config', runtime=tmp / 'runtime',
                workspaces=tmp / 'workspaces')


def saved(path:Path) -> bool:
    "Has JupyterLab written the run notebook? (Its save rewrites the file in place, so a read can find it empty.)"
    try: nb = json.loads(path.read_text())
    except json.JSONDecodeError: return False
    return any(c.get('execution_count') for c in nb['cells'] if c['cell_type'] == 'code')

def test_run_all_cells_in_jupyterlab(tmp_path):
    f = _folders(tmp_path)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, 'JUPYTER_DATA_DIR': str(f['data']), 'JUPYTER_CONFIG_DIR': str(f['config']),
           'JUPYTER_RUNTIME_DIR': str(f['runtime']), 'JUPYTERLAB_SETTINGS_DIR': str(f['settings']),
           'JUPYTERLAB_WORKSPACES_DIR': str(f['workspaces'])}
    log = open(tmp_path / 'jupyterlab.log', 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'jupyterlab', '--no-browser', f'--port={port}', '--ip=127.0.0.1',
                             f'--ServerApp.token={token}', f'--ServerApp.root_dir={f["work"]}',
                             '--LabApp.news_url=', '--LabApp.extension_manager=readonly', '--ServerApp.port_retries=0',
                             *(['--allow-root'] if hasattr(os, 'geteuid') and os.geteuid() == 0 else [])],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        base = f'http://127.0.0.1:{port}'
        assert wait_for(f'{base}/api/status?token={token}', proc), (tmp_path / 'jupyterlab.log').read_text()[-3000:]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
            page = browser.new_page(viewport={'width': 1400, 'height': 1000})
            page.goto(f'{base}/lab/tree/{NOTEBOOK}?token={token}', timeout=120_000)
            page.locator('.jp-Notebook .jp-Cell').first.wait_for(timeout=120_000)
            # the kernel has started and is idle (the indicator says idle before there is a kernel, as 'No Kernel')
            page.locator('#jp-main-statusbar', has_text=KERNEL_IDLE).wait_for(timeout=180_000)
            n_code = page.locator('.jp-Notebook .jp-CodeCell').count()
            page.locator('.lm-MenuBar-itemLabel', has_text='Run').first.click()
            page.locator('.lm-Menu-itemLabel', has_text='Run All Cells').first.click()
            # done when no cell waits ([*]) and every code cell has run, or a cell failed (Run All stops there)
            end, prompts = time.monotonic() + 1200, []
            while time.monotonic() < end:
                time.sleep(2)
                prompts = page.locator('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt').all_inner_texts()
                ran = sum(1 for t in prompts if t.strip('[]: \n').isdigit())
                failed = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
                                      has_text='Traceback').count()
                if not any('*' in t for t in prompts) and (ran == n_code or failed): break
            page.screenshot(path=str(tmp_path / 'jupyterlab.png'), full_page=True)
            stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
            tracebacks = [t for t in stderr if 'Traceback' in t]                     # a warning has none
            page.locator('.lm-MenuBar-itemLabel', has_text='File').first.click()       # save, then read the outputs
            page.locator('.lm-Menu-itemLabel', has_text='Save Notebook').first.click()
            path, end = f['work'] / NOTEBOOK, time.monotonic() + 60
            while time.monotonic() < end and not saved(path): time.sleep(1)
            browser.close()
        assert not tracebacks, f'cells show errors: {[t[-800:] for t in tracebacks]}'
        assert not stderr, f'cells show warning boxes: {[t[-800:] for t in stderr]}'
        assert n_code > 10, f'the notebook did not load: {n_code} code cells'
        assert prompts and all(t.strip('[]: \n').isdigit() for t in prompts), f'cells still waiting or not run: {prompts}'
        assert saved(f['work'] / NOTEBOOK), 'JupyterLab did not save the run notebook'
        nb = json.loads((f['work'] / NOTEBOOK).read_text())
        code = [c for c in nb['cells'] if c['cell_type'] == 'code']
        assert len(code) == n_code
        errors = [(i, o.get('ename'), o.get('evalue')) for i, c in enumerate(code) for o in c['outputs'] if o['output_type'] == 'error']
        assert not errors, f'error outputs: {errors}'
        not_run = [i for i, c in enumerate(code) if not c.get('execution_count')]
        assert not not_run, f'code cells that did not run: {not_run} of {len(code)}'
        probe = ''.join(''.join(o.get('text', '')) for o in code[-1]['outputs'])
        assert f'groupvit_nb from {ROOT}' in probe, probe                           # this checkout's package
    finally:
        proc.terminate()
        try: proc.wait(30)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()
