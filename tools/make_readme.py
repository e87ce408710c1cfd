"""Write README.md from nbs/index.ipynb without Quarto (which `nbdev-readme` needs).

Hidden cells (`#| hide`) are dropped, the notebook's title becomes the heading, and the rest is
converted with nbconvert's Markdown exporter. Images in outputs are written next to README.md.
Usage: python tools/make_readme.py [--check]   (--check: exit 1 if README.md is out of date)
"""
import sys, re, copy
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter

root = Path(__file__).resolve().parents[1]

def _hidden(cell):
    return cell.cell_type == 'code' and any(
        re.match(r'\s*#\s*\|\s*(hide|exporti?\b.*)$', l) and not re.match(r'\s*#\s*\|\s*exports\b', l)
        for l in cell.source.splitlines()[:5])

def render():
    nb = nbformat.read(root / 'nbs' / 'index.ipynb', as_version=4)
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not _hidden(c)]
    for c in nb.cells:
        if c.cell_type == 'code':
            c.source = '\n'.join(l for l in c.source.splitlines() if not re.match(r'\s*#\s*\|', l))
    body, res = MarkdownExporter().from_notebook_node(nb)
    body = re.sub(r'\]\(images/', '](nbs/images/', body)  # figures live in nbs/images, relative to the notebooks
    return re.sub(r'\n{3,}', '\n\n', body).strip() + '\n', res.get('outputs', {})

def main():
    text, outputs = render()
    readme = root / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            print('README.md is out of date: run `python tools/make_readme.py`'); sys.exit(1)
        return
    readme.write_text(text)
    for name, data in outputs.items(): (root / name).write_bytes(data)

if __name__ == '__main__': main()
