"""tools/cell_stats.py's beat: which exported cells are shown working within the next two code cells, and the
longest run of exported cells with nothing shown between them, on a tiny notebook written to a temp folder."""
import ast, sys
from pathlib import Path
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import cell_stats as cs  # noqa: E402

CELLS = [new_markdown_cell('# Tiny'),
         new_code_cell('#| export\ndef a(): return 1'),        # 1: on the beat (a test follows)
         new_code_cell('test_eq(a(), 1)'),                      # 2: test
         new_markdown_cell('Two more.'),
         new_code_cell('#| export\ndef b(): return 2'),         # 4: off (c, then a plain cell)
         new_code_cell('#| export cli\ndef c(): return 3'),     # 5: off (a plain cell, then d)
         new_code_cell('y = 2'),                                # 6: neither a test nor a picture
         new_code_cell('#| exports\ndef d(): return 4'),        # 7: on (its value is shown next)
         new_code_cell('d()'),                                  # 8: picture: a last expression
         new_code_cell('#| export\ndef e(): return 5'),         # 9: off (a silenced expression, a plain cell)
         new_code_cell('e();'),
         new_code_cell('z = 3')]


def _kinds(src):
    tree = ast.parse(src)
    return cs.is_test(tree), cs.is_picture(tree, src)


def test_tests_and_pictures():
    assert _kinds('test_close(x, 1.0)')[0] and _kinds('x = 1\nassert x == 1')[0]
    assert _kinds('fc.test_fail(lambda: f(), contains="no")')[0]
    for shown in ['plt.imshow(im); plt.axis("off");', 'display(df)', 'show_doc(f)', 'x = 1\nx.shape', 'print(x)']:
        assert _kinds(shown)[1], shown
    for quiet in ['x = 1', 'f(x);', 'def g(): pass']: assert _kinds(quiet) == (False, False), quiet


def test_beat_of_a_tiny_notebook(tmp_path, capsys):
    cells = [(i, c.cell_type, c.source) for i, c in enumerate(CELLS)]
    assert cs.beat(cells) == dict(exports=5, on_beat=2, run=(3, 4, 7))   # b, c, d: nothing shown until d()
    nbformat.write(new_notebook(cells=CELLS), tmp_path / '01_tiny.ipynb')
    assert cs.main(['--nbs', str(tmp_path)]) == 0                         # the table alone never fails
    assert cs.main(['--nbs', str(tmp_path), '--check']) == 0              # the beat is not part of --check
    assert cs.main(['--nbs', str(tmp_path), '--check-beat']) == 1
    out = capsys.readouterr().out
    assert 'FAIL 40.0 % of exported cells on the beat < 70 %' in out
    row = next(l for l in out.splitlines() if l.startswith('01_tiny'))
    assert row.split()[-4:] == ['5', '40', '3', '4–7']                    # exports, beat %, run, its cells


def test_a_long_run_fails(tmp_path, capsys):
    cells = [new_code_cell(f'#| export\ndef f{i}(): return {i}') for i in range(cs.RUN_MAX + 1)]
    nbformat.write(new_notebook(cells=cells + [new_code_cell('test_eq(f0(), 0)')]), tmp_path / '02_long.ipynb')
    assert cs.main(['--nbs', str(tmp_path), '--check-beat']) == 1
    assert f'02_long: {cs.RUN_MAX + 1} exported cells without a test or picture (cells 0–{cs.RUN_MAX})' \
        in capsys.readouterr().out
