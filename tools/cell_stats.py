"""How the notebooks read as chapters: the size of their code cells, how many definitions each exported cell holds,
and whether a notebook imports the module of a later notebook.

    python tools/cell_stats.py            # a table per notebook and overall
    python tools/cell_stats.py --check    # the same, exit 1 if a threshold below is missed

A cell's lines are its source lines without `#|` directives and blank lines. A definition is a top-level `def` or
`class` (decorated ones included, `@patch` methods too) in a cell marked `#| export` (any target: `#| export cli`
counts). Module order is notebook order: `00_cli` < `00_patch_embed` < `01_grouping` < ... ; an import of
`groupvit_nb.<module>` (or `.<module>` inside exported code) written in notebook N, in any code cell, is a backward
import when the module's notebook comes after N.
"""
import ast, json, re, statistics, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
MEDIAN_MAX, OVER40_MAX, DEFS_PER_EXPORT_MAX = 6, 2.0, 1.5   # the targets: median lines, % cells over 40, defs/cell
LONG = 40

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

def notebooks():
    return sorted(p for p in (root/'nbs').glob('*.ipynb') if re.match(r'\d', p.name))

def module_order(nbs):
    "module name → position of the notebook whose `#| default_exp` writes it."
    order = {}
    for i, p in enumerate(nbs):
        for c in json.loads(p.read_text())['cells']:
            m = re.search(r'^\s*#\s*\|\s*default_exp\s+(\S+)', ''.join(c['source']), re.M)
            if c['cell_type'] == 'code' and m: order[m.group(1)] = i; break
    return order

def stats(path, pos, order, names):
    cells = [''.join(c['source']) for c in json.loads(path.read_text())['cells'] if c['cell_type'] == 'code']
    lines = [len(code_lines(s)) for s in cells if code_lines(s)]
    exports, defs, later = 0, 0, set()
    for s in cells:
        tree = parse(s)
        if tree is None: continue
        if is_export(s): exports += 1; defs += n_defs(tree)
        later |= {f'{m} ({names[order[m]]})' for m in imported_modules(tree) if order.get(m, -1) > pos}
    return dict(lines=lines, exports=exports, defs=defs, later=sorted(later))

def summary(lines, exports, defs):
    q = statistics.quantiles(lines, n=10)[-1] if len(lines) > 1 else (lines or [0])[0]
    return dict(cells=len(lines), median=statistics.median(lines) if lines else 0, p90=q, max=max(lines, default=0),
                over40=100 * sum(l > LONG for l in lines) / max(len(lines), 1), per_export=defs / max(exports, 1))

def main(argv):
    nbs = notebooks()
    order, names = module_order(nbs), [p.stem for p in nbs]
    rows, all_lines, all_exports, all_defs, later = [], [], 0, 0, {}
    for i, p in enumerate(nbs):
        st = stats(p, i, order, names)
        rows.append((p.stem, summary(st['lines'], st['exports'], st['defs'])))
        all_lines += st['lines']; all_exports += st['exports']; all_defs += st['defs']
        if st['later']: later[p.stem] = st['later']
    total = summary(all_lines, all_exports, all_defs)
    head = f"{'notebook':<16}{'cells':>6}{'median':>7}{'p90':>6}{'max':>5}{'>40 %':>7}{'defs/export':>12}"
    print(head)
    for name, s in rows + [('all', total)]:
        print(f"{name:<16}{s['cells']:>6}{s['median']:>7.1f}{s['p90']:>6.0f}{s['max']:>5}{s['over40']:>7.1f}"
              f"{s['per_export']:>12.2f}")
    for name, mods in later.items(): print(f'{name} imports later notebooks: {", ".join(mods)}')
    if '--check' not in argv: return 0
    fails = [f'median cell {total["median"]} lines > {MEDIAN_MAX}'] * (total['median'] > MEDIAN_MAX)
    fails += [f'{total["over40"]:.1f} % of cells over {LONG} lines > {OVER40_MAX} %'] * (total['over40'] > OVER40_MAX)
    fails += [f'{total["per_export"]:.2f} definitions per export cell > {DEFS_PER_EXPORT_MAX}'] * (
        total['per_export'] > DEFS_PER_EXPORT_MAX)
    fails += [f'{n} imports a later notebook' for n in later]
    print('\n'.join(f'FAIL {f}' for f in fails) or 'cell stats: ok')
    return 1 if fails else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
