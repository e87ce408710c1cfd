"""House rules for notebooks that nbdev's docs build depends on.

nbdev's docs processor re-executes, in a fresh kernel, every cell that is exported or contains an import statement
(anywhere in the cell). A demonstration cell that imports something *and* uses earlier state therefore breaks the
docs build. This lists such cells, the setup cells included (nbdev warns of those: their other statements belong in
a hidden cell of their own); with --fix it moves top-level import lines of non-exported cells into the
notebook's first `#| hide` setup cell. Exit 1 if problems remain.
"""
import ast, json, sys, re
from pathlib import Path

root = Path(__file__).resolve().parents[1]

def directives(src):
    return {m.group(1) for m in re.finditer(r'^\s*#\s*\|\s*(\w+)', src, re.M)}

def check(path:Path, fix=False):
    nb = json.loads(path.read_text())
    cells = nb['cells']
    setup = next((c for c in cells if c['cell_type'] == 'code' and 'hide' in directives(''.join(c['source']))
                  and 'import' in ''.join(c['source'])), None)
    problems, changed = [], False
    for i, c in enumerate(cells):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        d = directives(src)
        if d & {'export', 'exports', 'exporti', 'exec_doc'} or 'eval' in src and re.search(r'#\s*\|\s*eval:\s*false', src): continue
        try: tree = ast.parse('\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!'))))
        except SyntaxError: continue
        imps = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        if not imps: continue
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        shared = {n.lineno for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom))} & {n.lineno for n in top}
        if fix and setup is not None and c is not setup and len(top) == len(imps) and not shared:
            lines = src.splitlines(keepends=True)
            moved = set()
            for n in top: moved.update(range(n.lineno - 1, n.end_lineno))
            imp_src = ''.join(lines[j] for j in sorted(moved))
            if not imp_src.endswith('\n'): imp_src += '\n'
            s = ''.join(setup['source']); s = s if s.endswith('\n') else s + '\n'
            setup['source'] = (s + imp_src).splitlines(keepends=True)
            rest = ''.join(l for j, l in enumerate(lines) if j not in moved)
            c['source'] = rest.splitlines(keepends=True); changed = True
            continue
        if len(tree.body) > len(top) or len(top) != len(imps):
            what = ('the setup cell mixes imports with other code (put the other statements in a hidden cell of their own)' if c is setup
                    else 'imports mixed with other code (move them to the setup cell)')
            problems.append(f"{path.name} cell {i}: {what}:\n    " + src[:200].replace('\n', '\n    '))
    if changed:
        nb['cells'] = [c for c in cells if not (c['cell_type'] == 'code' and not ''.join(c['source']).strip())]
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return problems

if __name__ == '__main__':
    fix = '--fix' in sys.argv
    probs = [p for f in sorted((root/'nbs').glob('*.ipynb')) for p in check(f, fix)]
    print('\n'.join(probs) or 'notebooks: ok')
    sys.exit(1 if probs else 0)
