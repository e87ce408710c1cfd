"""What of the docs build runs without Quarto: nbdev's docs preprocessing (the `proc_nbs` step of
`nbdev-proc-nbs`/`nbdev-docs`, called directly because the command first tries to download Quarto)
and an HTML render of every processed notebook with nbconvert. Then, on every page: every image it shows exists,
every link to another page of the site (and its `#anchor`) leads somewhere, and no markdown table is cut in two by a
blank line. Exit 1 if any notebook fails or any of these is broken."""
import os, re, sys
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter

root = Path(__file__).resolve().parents[1]
IMAGE = re.compile(r'!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|<img\s[^>]*src=["\']([^"\']+)["\']')
LINK = re.compile(r'(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
EXTERNAL = ('http://', 'https://', 'mailto:', 'data:', '//')

def slug(text:str) -> str:
    "The id pandoc (and so Quarto) gives a heading: formatting gone, lower case, spaces → '-', only [\\w.-] kept."
    text = re.sub(r'\{[^}]*\}\s*$', '', text)                     # an explicit attribute block is not part of the text
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', text)         # links and images: their text
    text = re.sub(r'<[^>]+>|[`*]', '', text).strip().lower()
    text = re.sub(r'\s+', '-', text)
    text = re.sub(r'[^\w.\-]', '', text)
    return re.sub(r'^[^a-z]+', '', text)

def markdown_texts(nb) -> list:
    "The markdown a page shows: its markdown cells and the markdown outputs of code cells (`show_doc`)."
    out = [c.source for c in nb.cells if c.cell_type == 'markdown']
    for c in nb.cells:
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md: out.append(''.join(md) if isinstance(md, list) else md)
    return out

def anchors(texts) -> set:
    ids = set()
    for t in texts:
        for h in re.findall(r'^#{1,6}\s+(.*?)\s*#*\s*$', t, re.M):
            ids.add(slug(h))
            ids.update(re.findall(r'\{#([\w.\-:]+)[^}]*\}', h))
        ids.update(re.findall(r'\bid=["\']([^"\']+)["\']', t))
        ids.update(re.findall(r'\{#([\w.\-:]+)[^}]*\}', t))
    return ids

def strip_code(text:str) -> str:
    "Markdown without fenced code blocks and inline code (where brackets are not links)."
    text = re.sub(r'^(```|~~~).*?^\1', '', text, flags=re.M | re.S)
    return re.sub(r'`[^`\n]*`', '', text)

def broken_tables(text:str) -> list:
    "Table rows separated from the table above them by a blank line (the second part renders as plain text)."
    lines, bad, last_row = strip_code(text).splitlines(), [], None
    for i, l in enumerate(lines):
        row = l.strip().startswith('|') and l.strip().endswith('|')
        header = row and i + 1 < len(lines) and re.match(r'\s*\|?\s*:?-{3,}', lines[i + 1])  # a new table starts here
        if row and not header and last_row is not None and last_row < i - 1 and \
                all(not x.strip() for x in lines[last_row + 1:i]):
            bad.append(l.strip()[:60])
        if row: last_row = i
        elif l.strip(): last_row = None
    return bad

def page_of(proc:Path, page:Path, target:str):
    "The processed page a relative link points to (None if there is none)."
    base = (page.parent/target).resolve()
    for cand in (base, base.with_suffix('.ipynb'), base.with_suffix('.qmd'), base.with_suffix('.md')):
        if cand.is_file(): return cand
    return None

def check_links(proc:Path, pages:dict) -> list:
    problems = []
    ids = {p: anchors(texts) for p, texts in pages.items()}
    for p, texts in pages.items():
        name = p.relative_to(proc)
        for t in map(strip_code, texts):
            for a, b in IMAGE.findall(t):
                src = (a or b).split('#')[0]
                if src.startswith(EXTERNAL): continue
                if not (p.parent/src).is_file(): problems.append(f'{name}: image {src} does not exist')
            for target in LINK.findall(t):
                if target.startswith(EXTERNAL) or target.startswith('{'): continue
                path, _, anchor = target.partition('#')
                dest = p if not path else page_of(proc, p, re.sub(r'\.html?$', '', path))
                if dest is None:
                    if not (p.parent/path).exists(): problems.append(f'{name}: link {target} leads to no page')
                    continue
                if anchor and dest in ids and anchor not in ids[dest] and anchor.lower() not in ids[dest]:
                    problems.append(f'{name}: link {target}: no #{anchor} on {dest.relative_to(proc)}')
        for t in texts:
            for row in broken_tables(t): problems.append(f'{name}: a blank line cuts a table before the row {row!r}')
    return problems

if __name__ == '__main__':
    os.chdir(root)
    from nbdev.serve import proc_nbs
    proc = Path(proc_nbs(n_workers=0, force=True))
    nbs = sorted(proc.rglob('*.ipynb'))
    if not nbs: sys.exit('no processed notebooks found in _proc/')
    bad, pages = 0, {}
    for p in nbs:
        try:
            nb = nbformat.read(p, as_version=4)
            for c in nb.cells: c.metadata.pop('execution', None)   # nbdev's timing metadata is not nbformat-valid
            html, _ = HTMLExporter().from_notebook_node(nb)
            assert len(html) > 1000
            pages[p.resolve()] = markdown_texts(nb)
        except Exception as e:
            bad += 1; print(f'FAIL {p.relative_to(proc)}: {type(e).__name__}: {e}')
    print(f'docs: {len(nbs) - bad} of {len(nbs)} processed notebooks render to HTML')
    problems = check_links(proc.resolve(), pages)
    for m in problems: print(f'BROKEN {m}')
    print(f'docs: {len(problems)} broken image(s), link(s) or table(s)')
    sys.exit(1 if bad or problems else 0)
