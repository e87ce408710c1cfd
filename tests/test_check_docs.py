"""tools/check_docs.py renders pages as Quarto would publish them: checked on a tiny nbdev project in a temp folder
(processed by nbdev, as the real site is) and on processed notebooks built in memory."""
import subprocess, sys
from pathlib import Path
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import check_docs as cd  # noqa: E402

needs_mathjax = pytest.mark.skipif(not cd.MATHJAX.is_file(), reason='apt-get install libjs-mathjax')


def _project(d:Path):
    "A two-page nbdev project: a chapter whose method is documented twice (a hand-written `show_doc` of a `@patch`\nmethod besides nbdev's own entry), an `echo: false` cell, math and Pandoc link attributes; and a second page."
    (d / 'toy').mkdir(); (d / 'toy' / '__init__.py').write_text('')
    (d / 'pyproject.toml').write_text('[project]\nname = "toy"\ndescription = "a toy"\n'
                                      '[project.urls]\nDocumentation = "https://toy.example.org/toy"\n'
                                      '[tool.nbdev]\nlib_path = "toy"\nnbs_path = "nbs"\n')
    nbs = d / 'nbs'; nbs.mkdir()
    (nbs / 'nbdev.yml').write_text('website:\n  site-url: "https://toy.example.org/toy"\n')
    shown = new_code_cell("#| echo: false\nprint('the hidden cell prints this')")
    shown.outputs = [new_output('stream', name='stdout', text='the hidden cell prints this\n')]
    chapter = new_notebook(cells=[
        new_markdown_cell('# Toy chapter\n\n> What a toy does, in one line'),
        new_code_cell('#| export\nfrom fastcore.basics import patch'),
        new_code_cell('#| export\nclass Toy:\n    "A toy."'),
        new_code_cell('#| export\n@patch\ndef spin(self:Toy):\n    "Spin the toy."\n    return 1'),
        new_code_cell('show_doc(Toy.spin)'),
        shown,
        new_markdown_cell('Energy is $E = mc^2$; see [the other page](01_other.ipynb#a-heading) and '
                          '[a site](https://example.com){.external}.\n\n::: {.callout-note}\nA note.\n:::')])
    other = new_notebook(cells=[new_markdown_cell('# Other page\n\n> The second page'),
                                new_markdown_cell('## A heading\n\nText.')])
    for name, nb in [('00_toy.ipynb', chapter), ('01_other.ipynb', other)]: nbformat.write(nb, nbs / name)


def _check(d:Path, *args):
    return subprocess.run([sys.executable, str(ROOT / 'tools' / 'check_docs.py'), '--root', str(d), *args],
                          capture_output=True, text=True, timeout=600)


@needs_mathjax
def test_tiny_site_as_published(tmp_path):
    _project(tmp_path)
    r = _check(tmp_path, '--out', str(tmp_path / 'site'))
    out = r.stdout + r.stderr
    assert r.returncode == 1, out                                   # the duplicate entry fails the check ...
    assert 'DUPLICATE 00_toy.ipynb: API entry Toy.spin shown 2 times' in out, out
    assert 'docs: 0 problem(s)' in out, out                         # ... and nothing else is wrong
    page = (tmp_path / 'site' / 'toy.html').read_text()             # the page's name is nbdev's output file
    assert '<title>Toy chapter</title>' in page and '<h1 class="title">Toy chapter</h1>' in page
    assert 'What a toy does, in one line' in page and 'output-file' not in page   # front matter: used, not shown
    assert 'the hidden cell prints this' in page and "print(" not in page         # echo: false: output, no code
    assert 'show_doc' not in page and '#|' not in page
    assert '{.external}' not in page and ':::' not in page and 'class="callout-note"' in page
    assert f'src="{cd.MATHJAX.as_uri()}?config=' in page and 'cdnjs.cloudflare.com/ajax/libs/mathjax' not in page
    assert (tmp_path / 'site' / 'other.html').exists()
    r = _check(tmp_path, '--allow-duplicates')
    assert r.returncode == 0 and 'DUPLICATE (allowed) 00_toy.ipynb: API entry Toy.spin' in r.stdout, r.stdout + r.stderr


def _processed(*cells):
    "A notebook as nbdev's processing leaves it: the front matter first, then the cells."
    return new_notebook(cells=[new_raw_cell('---\ndescription: A page\noutput-file: page.html\ntitle: A page\n\n---\n\n'),
                               *cells])


def _show_doc_cell(name):
    c = new_code_cell(f'#| echo: false\n#| output: asis\nshow_doc({name})')
    c.outputs = [new_output('display_data', data={'text/markdown': f'---\n\n[source](https://example.com/x.py#L1)'
                                                  f'{{target="_blank" style="float:right"}}\n\n### {name}\n\n*Doc.*'})]
    return c


def test_publish_front_matter_options_and_entries():
    hidden, folded = new_code_cell('#| include: false\nsecret = 1'), new_code_cell('#| output: false\nx = 2\nx')
    folded.outputs = [new_output('execute_result', data={'text/plain': '2'})]
    nb = _processed(_show_doc_cell('Toy.spin'), _show_doc_cell('Toy'), _show_doc_cell('Toy.spin'), hidden, folded)
    page = cd.publish(nb)
    assert (page['title'], page['description'], page['output_file']) == ('A page', 'A page', 'page.html')
    assert page['problems'] == [] and page['entries'] == ['Toy.spin', 'Toy', 'Toy.spin']
    assert cd.duplicate_entries({'page.ipynb': page['entries']}) == [('page.ipynb', 'Toy.spin', 2)]
    assert [c.cell_type for c in nb.cells] == ['markdown', 'code', 'code', 'code', 'code']  # title block; no hidden cell
    assert nb.cells[1].metadata['transient']['remove_source'] and nb.cells[1].source == 'show_doc(Toy.spin)'
    assert nb.cells[-1].outputs == [] and nb.cells[-1].source == 'x = 2\nx'
    assert '{target=' not in nb.cells[1].outputs[0]['data']['text/markdown']
    html = cd.render(nb, page['title'], 'file:///mathjax/MathJax.js?config=X')
    assert cd.html_problems(html, 'file:///mathjax/MathJax.js?config=X') == []
    assert any('local MathJax' in p for p in cd.html_problems(html, 'file:///elsewhere/MathJax.js'))


def test_publish_flags_missing_title_and_front_matter_as_text():
    page = cd.publish(new_notebook(cells=[new_markdown_cell('Text.'), new_raw_cell('---\ntitle: Again\n---')]))
    assert any('no title' in p for p in page['problems'])
    assert any('front matter shown as text' in p for p in page['problems'])
    title = new_notebook(cells=[new_markdown_cell('# T\n\n> first line\n> second line\n\nA paragraph.')])
    assert [w.split(':')[0] for w in cd.title_cell_losses(title)] == ['description cut to its first line',
                                                                      '1 line(s) of the title cell not shown (nbdev keeps its title and description only)']


def test_quarto_markdown_and_text_shown_as_written():
    md = cd.quarto_markdown('## Head {#h .cls}\n\n[a](b.html){.external} [span]{.mark} `[c](d){.x}`\n\n'
                            '::: {.callout-tip}\nTip.\n:::')
    assert '## Head\n' in md and '[a](b.html) span `[c](d){.x}`' in md       # inline code kept as written
    assert '<div class="callout-tip">' in md and '</div>' in md and ':::' not in md
    html = '<p>[a](b.html) and <code>[c](d){.x}</code>, $x_{#1}$</p>'
    assert [p.split(':')[0] for p in cd.html_problems(html, '')[:-1]] == ['attribute syntax shown as text']


def test_one_quarto_yml():
    "The site's Quarto settings live in one file, where nbdev-docs reads them: `<nbs_path>/_quarto.yml`."
    from nbdev.config import get_config
    nbs = get_config(ROOT).nbs_path
    found = [p for p in ROOT.rglob('_quarto.yml') if not {'_proc', '_docs', '.git'} & set(p.relative_to(ROOT).parts)]
    assert found == [nbs / '_quarto.yml'], found
