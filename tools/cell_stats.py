"""How the notebooks read as chapters: the size of their code cells, how many definitions each exported cell holds,
whether a notebook imports the module of a later notebook, and the beat (is each definition shown working at once).

    python tools/cell_stats.py               # a table per notebook and overall
    python tools/cell_stats.py --check       # the same, exit 1 if a threshold of the cells' size or order is missed
    python tools/cell_stats.py --check-beat  # the same, exit 1 if a threshold of the beat is missed

A cell's lines are its source lines without `#|` directives and blank lines. A definition is a top-level `def` or
`class` (decorated ones included, `@patch` methods too) in a cell marked `#| export` (any target: `#| export cli`
counts). Module order is notebook order: `00_cli` < `02_patch_embed` < `03_grouping` < ... ; an import of
`groupvit_nb.<module>` (or `.<module>` inside exported code) written in notebook N, in any code cell, is a backward
import when the module's notebook comes after N.

The beat. Among a notebook's code cells (empty ones left out), an exported cell is one marked `#| export`, `exports`
or `exporti` (any target). A *test* is a code cell, not exported, that calls a function whose name starts with `test_`
(fastcore's `test_eq`, `test_close`, `test_fail`, `test_ne`, ...) or holds an `assert` statement. A *picture* is a
code cell, not exported, that calls `plt.<anything>`, `display(...)` or `show_doc(...)`, or whose last statement is
an expression not silenced by a trailing `;` (Jupyter shows its value; a `print(...)` counts). An exported cell is
*on the beat* when one of the next two code cells is a test or a picture. `beat %` is the share of exported cells on
the beat; `run` is the longest run of exported cells with no test or picture anywhere between them (cells that are
neither do not break a run), with the notebook cells (0-based, markdown included) where it starts and ends.
`--check-beat` asks for >= 70 % overall and no run longer than 5 in any notebook.
"""
import argparse, ast, json, re, statistics, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
MEDIAN_MAX, OVER40_MAX, DEFS_PER_EXPORT_MAX = 6, 2.0, 1.5   # the targets: median lines, % cells over 40, defs/cell
LONG = 40
BEAT_MIN, RUN_MAX, BEAT_WINDOW = 70.0, 5, 2   # the beat: % of exported cells on the beat, longest run, cells looked at

def directives(src):
    return [m.group(1) for m in re.finditer(r'^\s*#\s*\|\s*(.+?)\s*$', src, re.M)]

def code_lines(src):
    return [l for l in src.splitlines() if l.strip() and not re.match(r'\s*#\s*\|', l)]

def is_export(src):
    return any(re.match(r'export[si]?\b', d) for d in directives(src))

def parse(src):
    "The cell as Python, with IPython magics and shell lines left out; None if it does not parse."
    try: return ast.parse('\n'.join('' if l.lstrip().startswith(('%', '!')) else l for l in src.splitlines()))
    except SyntaxError: return None

def _call_name(node):
    "`f` for `f(...)`, `plt.plot` for `plt.plot(...)`: the dotted name a call is made through ('' if none)."
    f, parts = node.func, []
    while isinstance(f, ast.Attribute): parts.append(f.attr); f = f.value
    return '.'.join([f.id] + parts[::-1]) if isinstance(f, ast.Name) else ''

def is_test(tree):
    "Calls a `test_*` function (fastcore.test) or asserts."
    return any(isinstance(n, ast.Assert) or isinstance(n, ast.Call) and _call_name(n).split('.')[-1].startswith('test_')
               for n in ast.walk(tree))

def is_picture(tree, src):
    "Shows something: `plt.*`, `display(...)`, `show_doc(...)`, or a last expression that Jupyter displays."
    calls = [_call_name(n) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if any(c.startswith('plt.') or c in ('display', 'show_doc') for c in calls): return True
    last = code_lines(src)[-1].rstrip() if code_lines(src) else ''
    return bool(tree.body) and isinstance(tree.body[-1], ast.Expr) and not last.endswith(';')

def beat(cells):
    """The beat of a notebook's cells (a list of (index, cell type, source)): exported cells, how many are on the beat,
    and the longest run of exported cells with no test or picture between them as (length, first index, last index)."""
    code = [(i, s) for i, t, s in cells if t == 'code' and code_lines(s)]
    kinds = []                                   # per code cell: 'export', 'shows' (a test or picture) or None
    for i, s in code:
        tree = parse(s)
        kinds.append('export' if is_export(s) else
                     'shows' if tree is not None and (is_test(tree) or is_picture(tree, s)) else None)
    exports = [k for k, kind in enumerate(kinds) if kind == 'export']
    on_beat = sum('shows' in kinds[k + 1:k + 1 + BEAT_WINDOW] for k in exports)
    best, run = (0, None, None), []
    for k, kind in enumerate(kinds):
        if kind == 'shows': run = []
        elif kind == 'export':
            run.append(code[k][0])
            if len(run) > best[0]: best = (len(run), run[0], run[-1])
    return dict(exports=len(exports), on_beat=on_beat, run=best)

def n_defs(tree):
    return sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body)

def imported_modules(tree, lib='groupvit_nb'):
    "Names of the library's modules that the cell imports (at any depth, lazy imports included)."
    mods = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom):
            m = n.module or ''
            if n.level and m: mods.add(m.split('.')[0])
            elif n.level and not m: mods.update(a.name for a in n.names)
            elif m == lib: mods.update(a.name for a in n.names)
            elif m.startswith(lib + '.'): mods.add(m.split('.')[1])
        elif isinstance(n, ast.Import):
            mods.update(a.name.split('.')[1] for a in n.names if a.name.startswith(lib + '.'))
    return mods

def notebooks(nbs=None):
    return sorted(p for p in Path(nbs or root/'nbs').glob('*.ipynb') if re.match(r'\d', p.name))

def module_order(nbs):
    "module name → position of the notebook whose `#| default_exp` writes it."
    order = {}
    for i, p in enumerate(nbs):
        for c in json.loads(p.read_text())['cells']:
            m = re.search(r'^\s*#\s*\|\s*default_exp\s+(\S+)', ''.join(c['source']), re.M)
            if c['cell_type'] == 'code' and m: order[m.group(1)] = i; break
    return order

def stats(path, pos, order, names):
    allcells = [(i, c['cell_type'], ''.join(c['source'])) for i, c in enumerate(json.loads(path.read_text())['cells'])]
    cells = [s for _, t, s in allcells if t == 'code']
    lines = [len(code_lines(s)) for s in cells if code_lines(s)]
    exports, defs, later = 0, 0, set()
    for s in cells:
        tree = parse(s)
        if tree is None: continue
        if is_export(s): exports += 1; defs += n_defs(tree)
        later |= {f'{m} ({names[order[m]]})' for m in imported_modules(tree) if order.get(m, -1) > pos}
    return dict(lines=lines, exports=exports, defs=defs, later=sorted(later), beat=beat(allcells))

def summary(lines, exports, defs, on_beat=0, run=0):
    q = statistics.quantiles(lines, n=10)[-1] if len(lines) > 1 else (lines or [0])[0]
    return dict(cells=len(lines), median=statistics.median(lines) if lines else 0, p90=q, max=max(lines, default=0),
                over40=100 * sum(l > LONG for l in lines) / max(len(lines), 1), per_export=defs / max(exports, 1),
                exports=exports, beat=100 * on_beat / exports if exports else 100.0, on_beat=on_beat, run=run)

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--check', action='store_true', help="exit 1 if a threshold of the cells' size or order is missed")
    ap.add_argument('--check-beat', action='store_true',
                    help=f'exit 1 if under {BEAT_MIN:.0f} %% of exported cells are on the beat or a notebook has a run '
                         f'of more than {RUN_MAX} exported cells without a test or picture')
    ap.add_argument('--nbs', type=Path, default=root/'nbs', help='the notebooks folder (default: this repository\'s nbs)')
    args = ap.parse_args(argv)
    nbs = notebooks(args.nbs)
    order, names = module_order(nbs), [p.stem for p in nbs]
    rows, all_lines, all_exports, all_defs, all_beat, later, runs = [], [], 0, 0, 0, {}, {}
    for i, p in enumerate(nbs):
        st = stats(p, i, order, names)
        b = st['beat']
        rows.append((p.stem, summary(st['lines'], st['exports'], st['defs'], b['on_beat'], b['run'][0]), b['run']))
        all_lines += st['lines']; all_exports += st['exports']; all_defs += st['defs']; all_beat += b['on_beat']
        if st['later']: later[p.stem] = st['later']
        runs[p.stem] = b['run']
    total = summary(all_lines, all_exports, all_defs, all_beat, max((r[0] for r in runs.values()), default=0))
    head = (f"{'notebook':<19}{'cells':>6}{'median':>7}{'p90':>6}{'max':>5}{'>40 %':>7}{'defs/export':>12}"
            f"{'exports':>8}{'beat %':>7}{'run':>4}  run at cells")
    print(head)
    for name, s, r in rows + [('all', total, None)]:
        where = f'{r[1]}–{r[2]}' if r and r[0] else ''
        print(f"{name:<19}{s['cells']:>6}{s['median']:>7.1f}{s['p90']:>6.0f}{s['max']:>5}{s['over40']:>7.1f}"
              f"{s['per_export']:>12.2f}{s['exports']:>8}"
              f"{s['beat']:>7.0f}{s['run']:>4}  {where}".rstrip())
    for name, mods in later.items(): print(f'{name} imports later notebooks: {", ".join(mods)}')
    fails = []
    if args.check:
        fails += [f'median cell {total["median"]} lines > {MEDIAN_MAX}'] * (total['median'] > MEDIAN_MAX)
        fails += [f'{total["over40"]:.1f} % of cells over {LONG} lines > {OVER40_MAX} %'] * (total['over40'] > OVER40_MAX)
        fails += [f'{total["per_export"]:.2f} definitions per export cell > {DEFS_PER_EXPORT_MAX}'] * (
            total['per_export'] > DEFS_PER_EXPORT_MAX)
        fails += [f'{n} imports a later notebook' for n in later]
    if args.check_beat:
        fails += [f'{total["beat"]:.1f} % of exported cells on the beat < {BEAT_MIN:.0f} %'] * (total['beat'] < BEAT_MIN)
        fails += [f'{n}: {r[0]} exported cells without a test or picture (cells {r[1]}–{r[2]}) > {RUN_MAX}'
                  for n, r in runs.items() if r[0] > RUN_MAX]
    if args.check or args.check_beat: print('\n'.join(f'FAIL {f}' for f in fails) or 'cell stats: ok')
    return 1 if fails else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
