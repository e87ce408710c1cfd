"""What of the docs build runs without Quarto: nbdev's docs preprocessing (the `proc_nbs` step of
`nbdev-proc-nbs`/`nbdev-docs`, called directly because the command first tries to download Quarto)
and an HTML render of every processed notebook with nbconvert. Exit 1 if any notebook fails."""
import os, sys
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter

root = Path(__file__).resolve().parents[1]
os.chdir(root)
from nbdev.serve import proc_nbs
proc = Path(proc_nbs(n_workers=0, force=True))
nbs = sorted(proc.rglob('*.ipynb'))
if not nbs: sys.exit('no processed notebooks found in _proc/')
bad = 0
for p in nbs:
    try:
        nb = nbformat.read(p, as_version=4)
        for c in nb.cells: c.metadata.pop('execution', None)   # nbdev's timing metadata is not nbformat-valid
        html, _ = HTMLExporter().from_notebook_node(nb)
        assert len(html) > 1000
    except Exception as e:
        bad += 1; print(f'FAIL {p.relative_to(proc)}: {type(e).__name__}: {e}')
print(f'docs: {len(nbs) - bad} of {len(nbs)} processed notebooks render to HTML')
sys.exit(1 if bad else 0)
