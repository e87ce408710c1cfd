"""The GitHub workflows parse, name their steps, and test.yaml runs what .ci/run runs (so GitHub's CI and a local
`.ci/run` cannot drift apart); deploy.yaml builds the Quarto site with nbdev-docs and publishes it."""
import re
from pathlib import Path
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / '.github' / 'workflows'


def _load(name):
    d = yaml.safe_load((WORKFLOWS / name).read_text())
    d['on'] = d.pop(True, d.get('on'))             # YAML 1.1 reads the key `on` as True
    return d


def _steps(d):
    return [s for job in d['jobs'].values() for s in job['steps']]


def _run_lines(d):
    return [l.strip() for s in _steps(d) for l in s.get('run', '').splitlines() if l.strip()]


def _ci_run():
    "The commands of .ci/run: comments dropped; what the workflow sets by itself (shell options, folder, env) apart."
    lines = [re.sub(r'\s+#\s.*$', '', l).strip() for l in (ROOT / '.ci' / 'run').read_text().splitlines()]
    lines = [l for l in lines if l and not l.startswith('#')]
    env = {k for l in lines if l.startswith('export ') for k in re.findall(r'(\w+)=', l)}
    cmds = [l for l in lines if not re.match(r'(set |cd |export |echo "==)', l)]
    return env, cmds


@pytest.mark.parametrize('name', ['test.yaml', 'deploy.yaml'])
def test_workflow_parses_and_names_its_steps(name):
    d = _load(name)
    assert d['name'] and d['on'] and d['jobs'], name
    for job in d['jobs'].values():
        assert job['runs-on'].startswith('ubuntu'), job['runs-on']
        assert job['steps'] and all(s.get('name') for s in job['steps']), [s for s in job['steps'] if not s.get('name')]
        assert all(('run' in s) != ('uses' in s) for s in job['steps'])


def test_test_workflow_runs_what_ci_runs():
    d = _load('test.yaml')
    assert {'push', 'pull_request'} <= set(d['on'])
    (job,) = d['jobs'].values()
    assert re.match(r'python:3\.11-', job['container']), job.get('container')   # Debian with Python 3.11
    env, cmds = _ci_run()
    assert env <= set(job['env']), env - set(job['env'])
    ran = _run_lines(d)
    missing = [c for c in cmds if c not in ran]
    assert not missing, f'.ci/run commands that .github/workflows/test.yaml does not run: {missing}'
    assert ran[-1] == cmds[-1]                        # the README's test command comes last
    assert any('libjs-mathjax' in l for l in ran)     # tools/check_docs.py typesets math with the local MathJax


def test_deploy_workflow_builds_the_quarto_site():
    d = _load('deploy.yaml')
    assert d['on']['push']['branches'] == ['main']
    steps = _steps(d)
    uses = [s.get('uses', '') for s in steps]
    assert any(u.startswith('quarto-dev/quarto-actions/setup') for u in uses)
    assert 'nbdev-docs' in _run_lines(d)
    publish = next(s for s in steps if s.get('uses', '').startswith('peaceiris/actions-gh-pages'))
    doc_path = re.search(r'^doc_path\s*=\s*"([^"]+)"', (ROOT / 'pyproject.toml').read_text(), re.M).group(1)
    assert publish['with']['publish_dir'].strip('./') == doc_path     # where nbdev-docs writes the site
