"""The docs site as Quarto would publish it, built and checked without Quarto.

    python tools/check_docs.py                      # process every notebook, render every page, check them
    python tools/check_docs.py --out _site_check    # the same, and write the pages there (open index.html)
    python tools/check_docs.py --allow-duplicates   # list API entries documented twice on a page, without failing

First nbdev's docs preprocessing (the `proc_nbs` step of `nbdev-proc-nbs`/`nbdev-docs`, called directly because the
command first tries to download Quarto) writes the processed notebooks to `_proc/`. Each processed notebook then
becomes the page Quarto would make of it:

- the front matter (the raw `---` cell nbdev makes from the notebook's first markdown cell, `# Title` and
  `> description`) gives the page its title and description and is not shown as text;
- Quarto's cell options apply: `#| echo: false` hides a cell's code and shows its outputs (every `show_doc` cell is
  one), `#| include: false` hides both, `#| output: false` hides the outputs; `#|` lines are never shown;
- Pandoc's attribute syntax is read as Quarto reads it, not shown as text: `[text](url){target="_blank"}` (nbdev's
  source links), `{.external}`, headings' `{#id}`, bracketed spans `[text]{.class}` and `:::` fenced divs;
- math is typeset by MathJax from Debian's `libjs-mathjax` (a local file, not a website).

The page is rendered to HTML with nbconvert. Then, on every page: every image it shows exists; every link to another
page of the site leads to a page, and its `#anchor` to a heading or API entry there, whether written as a relative
link (`03_grouping.ipynb#attention`) or as the full address nbdev writes when it links a name in backticks
(`https://<site>/grouping.html#attention`); no markdown table is cut in two by a blank line; no attribute syntax or
front matter is left as text; the page has a title; and no API entry (a `show_doc` heading) appears twice on a page,
as happens when a hand-written `show_doc(GroupViT.encode_image)` meets nbdev's own entry for the same `@patch` method.
Exit 1 if any notebook fails to process or render or any of these is broken (duplicate entries only without
`--allow-duplicates`). Warnings do not fail: a description nbdev cuts to the first `>` line of the title cell, and a
backticked private name (`_merge`) that nbdev links to an entry it never writes.
"""
import argparse, ast, html as htmllib, os, re, shutil, sys
from collections import Counter
from pathlib import Path
import nbformat, yaml
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune

root = Path(__file__).resolve().parents[1]
IMAGE = re.compile(r'!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|<img\s[^>]*src=["\']([^"\']+)["\']')
LINK = re.compile(r'(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
EXTERNAL = ('http://', 'https://', 'mailto:', 'data:', '//')
MATHJAX = Path('/usr/share/javascript/mathjax/MathJax.js')   # Debian's libjs-mathjax (MathJax 2)
MATHJAX_CONFIG = 'TeX-AMS_CHTML-full,Safe'                   # what nbconvert asks of MathJax 2 by default

# ---------------------------------------------------------------------------------------------- markdown helpers
def slug(text:str) -> str:
    "The id pandoc (and so Quarto) gives a heading: formatting gone, lower case, spaces → '-', only [\\w.-] kept."
    text = re.sub(r'\{[^}]*\}\s*$', '', text)                     # an explicit attribute block is not part of the text
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', text)         # links and images: their text
    text = re.sub(r'<[^>]+>|[`*]', '', text).strip().lower()
    text = re.sub(r'\s+', '-', text)
    text = re.sub(r'[^\w.\-]', '', text)
    return re.sub(r'^[^a-z]+', '', text)

def anchors(texts) -> set:
    ids = set()
    for t in texts:
        for h in re.findall(r'^#{1,6}\s+(.*?)\s*#*\s*$', t, re.M):
            ids.add(slug(h))
            ids.update(re.findall(r'\{#([\w.\-:]+)[^}]*\}', h))
        ids.update(re.findall(r'\bid=["\']([^"\']+)["\']', t))
        ids.update(re.findall(r'\{#([\w.\-:]+)[^}]*\}', t))
    return ids

FENCE = re.compile(r'^(```|~~~).*?^\1[^\n]*$', re.M | re.S)

def strip_code(text:str) -> str:
    "Markdown without fenced code blocks and inline code (where brackets are not links)."
    return re.sub(r'`[^`\n]*`', '', FENCE.sub('', text))

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

def _outside_code(text:str, f) -> str:
    "Apply `f` to the parts of `text` outside fenced code blocks and inline code."
    out, pos = [], 0
    for m in re.finditer(FENCE.pattern + r'|`[^`\n]*`', text, re.M | re.S):
        out += [f(text[pos:m.start()]), m.group(0)]; pos = m.end()
    return ''.join(out + [f(text[pos:])])

def _attr_class(attrs:str) -> str:
    "The classes of a Pandoc attribute block's content (`.callout-note #id k=v` → 'callout-note')."
    return ' '.join(a[1:] for a in attrs.split() if a.startswith('.'))

def quarto_markdown(text:str) -> str:
    "Markdown as Quarto reads it, for a renderer that knows no Pandoc attributes: the attributes applied or dropped."
    def attrs(t):
        t = re.sub(r'(\[[^\]\n]*\]\([^)\n]*\))\{[^}\n]*\}', r'\1', t)            # link/image attributes
        t = re.sub(r'\[([^\]\n]*)\]\{[^}\n]*\}', r'\1', t)                       # bracketed spans
        return re.sub(r'^(#{1,6}\s.*?)\s*\{[^}\n]*\}\s*$', r'\1', t, flags=re.M)  # heading attributes
    text = _outside_code(text, attrs)
    lines, depth = [], 0
    for l in text.splitlines():
        m = re.match(r'^\s*:{3,}\s*(?:\{([^}]*)\}|([\w-]+))?\s*$', l)
        if m and (m.group(1) is not None or m.group(2)):
            depth += 1; lines += ['', f'<div class="{_attr_class(m.group(1) or "." + m.group(2))}">', '']
        elif m and depth: depth -= 1; lines += ['', '</div>', '']
        else: lines.append(l)
    return '\n'.join(lines)

# ----------------------------------------------------------------------------------------- a page, as published
def cell_options(src:str):
    "A code cell's Quarto options (its leading `#| key: value` lines; a bare `#| flag` is True) and its other lines."
    opts, lines = {}, src.splitlines()
    while lines and re.match(r'\s*#\|', lines[0]):
        k, sep, v = re.sub(r'^\s*#\|\s*', '', lines.pop(0)).partition(':')
        try: opts[k.strip()] = yaml.safe_load(v) if sep else True
        except yaml.YAMLError: opts[k.strip()] = v.strip()
    return opts, '\n'.join(lines)

def front_matter(cell) -> dict | None:
    "The YAML of a raw `---` front matter cell, or None."
    m = re.match(r'^\s*---\s*\n(.*?)\n---\s*$', cell.source, re.S) if cell.cell_type == 'raw' else None
    if not m: return None
    try: d = yaml.safe_load(m.group(1))
    except yaml.YAMLError: return None
    return d if isinstance(d, dict) else None

def _markdown_outputs(cell) -> list:
    return [''.join(o['data']['text/markdown']) if isinstance(o['data']['text/markdown'], list) else
            o['data']['text/markdown'] for o in cell.get('outputs', []) if 'text/markdown' in o.get('data', {})]

def _calls_show_doc(src:str) -> bool:
    try: tree = ast.parse(src)
    except SyntaxError: return False
    return any(isinstance(n, ast.Call) and getattr(n.func, 'id', None) == 'show_doc' for n in ast.walk(tree))

def publish(nb) -> dict:
    """The page Quarto makes of processed notebook `nb` (changed in place into what nbconvert should render):
    its title, description and output file, the markdown it shows, its API entries and its problems."""
    fm = front_matter(nb.cells[0]) if nb.cells else None
    if fm is not None: nb.cells.pop(0)
    fm = fm or {}
    page = dict(title=fm.get('title'), description=fm.get('description'), output_file=fm.get('output-file'),
                texts=[], entries=[], problems=[])
    if not page['title']: page['problems'].append('no title (start the notebook with a markdown cell `# Title`)')
    cells = []
    for c in nb.cells:
        c.metadata.pop('execution', None)                # nbdev's timing metadata is not nbformat-valid
        if c.cell_type == 'raw':
            if front_matter(c) is not None or re.match(r'\s*---\s*\n\s*\w[\w-]*\s*:', c.source):
                page['problems'].append('front matter shown as text (a raw `---` cell after the first)')
        elif c.cell_type == 'markdown':
            page['texts'].append(c.source)
            if page['title'] and re.match(rf'#\s+{re.escape(page["title"])}\s*$', c.source.strip().split('\n')[0]):
                page['problems'].append(f'the title {page["title"]!r} is shown twice (a second `# Title` cell)')
            c.source = quarto_markdown(c.source)
        elif c.cell_type == 'code':
            opts, body = cell_options(c.source)
            if opts.get('include') is False: continue
            c.source = body
            if opts.get('echo') is False: c.metadata.setdefault('transient', {})['remove_source'] = True
            if opts.get('output') is False: c.outputs = []
            mds = _markdown_outputs(c)
            page['texts'] += mds
            if _calls_show_doc(body):
                page['entries'] += [h for md in mds for h in re.findall(r'^#{1,6}\s+(.+?)\s*$', md, re.M)[:1]]
            for o in c.get('outputs', []):
                if 'text/markdown' in o.get('data', {}):
                    o['data']['text/markdown'] = quarto_markdown(_markdown_outputs(dict(outputs=[o]))[0])
        cells.append(c)
    if page['title']:
        desc = page['description'] or ''
        head = (f'<header id="title-block-header">\n<h1 class="title">{htmllib.escape(str(page["title"]))}</h1>\n'
                + (f'<div class="description">{markdown2html_mistune(str(desc))}</div>\n' if desc else '')
                + '</header>')
        cells.insert(0, nbformat.v4.new_markdown_cell(head))
    nb.cells = cells
    return page

def local_mathjax(path:Path=MATHJAX) -> str:
    "The address of the local MathJax script, with the configuration nbconvert's page expects."
    return f'{path.resolve().as_uri()}?config={MATHJAX_CONFIG}'

def render(nb, title:str, mathjax:str) -> str:
    "HTML of a published notebook, its math typeset by the MathJax at address `mathjax`."
    exporter = HTMLExporter(mathjax_url=mathjax, exclude_input_prompt=True, exclude_output_prompt=True)  # as Quarto
    html, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': title or ''}})
    return html

def visible_text(html:str) -> str:
    "What a reader sees as text: no code, math, scripts, styles or tags."
    t = re.sub(r'<(script|style|pre|code)\b.*?</\1>', ' ', html, flags=re.S | re.I)
    t = re.sub(r'\$\$.*?\$\$|\\\[.*?\\\]|\$[^$\n]+\$', ' ', t, flags=re.S)
    return htmllib.unescape(re.sub(r'<[^>]+>', ' ', t))

SHOWN_AS_TEXT = [(re.compile(r'\]\([^)\s]*\)|\]\{|\)\{[^}]*=|\{\.[\w-]+|\{#[\w-]+'), 'attribute syntax'),
                 (re.compile(r'^\s*:::', re.M), 'a fenced div'),
                 (re.compile(r'\boutput-file:'), 'front matter')]

def html_problems(html:str, mathjax:str) -> list:
    "What is wrong in a rendered page: syntax shown as text, math typeset from anywhere but the local MathJax."
    probs = [f'{what} shown as text: {m.group(0)!r}' for rx, what in SHOWN_AS_TEXT
             for m in list(rx.finditer(visible_text(html)))[:1]]
    scripts = re.findall(r'<script[^>]+src="([^"]*mathjax[^"]*)"', html, re.I)
    if scripts != [mathjax]: probs.append(f'math is not typeset by the local MathJax: scripts {scripts}')
    return probs

# ------------------------------------------------------------------------------------------- the site's checks
def page_of(proc:Path, page:Path, target:str):
    "The processed page a relative link points to (None if there is none)."
    base = (page.parent/target).resolve()
    for cand in (base, base.with_suffix('.ipynb'), base.with_suffix('.qmd'), base.with_suffix('.md')):
        if cand.is_file(): return cand
    return None

def site_url(proc:Path) -> str:
    "The site's address from nbdev.yml (where nbdev's links to names in backticks point), '' if none."
    p = proc/'nbdev.yml'
    d = yaml.safe_load(p.read_text()) if p.exists() else {}
    return str(((d or {}).get('website') or {}).get('site-url') or '').rstrip('/')

def check_links(proc:Path, pages:dict, site:str='', outputs:dict|None=None) -> tuple:
    """Broken images, links, anchors and tables on the `pages` (processed path → markdown texts), and warnings.
    `outputs` maps each page's output file (`core.html`) to its processed path, so that the site's full addresses
    (`site`) can be followed. A missing anchor of a private name (`#_merge`) is a warning: nbdev links every name of
    the library written in backticks but documents only public ones, so such a link opens the right page at its top."""
    problems, warnings, outputs = [], [], outputs or {}
    ids = {p: anchors(texts) for p, texts in pages.items()}
    for p, texts in pages.items():
        name = p.relative_to(proc)
        for t in map(strip_code, texts):
            for a, b in IMAGE.findall(t):
                src = (a or b).split('#')[0]
                if src.startswith(EXTERNAL): continue
                if not (p.parent/src).is_file(): problems.append(f'{name}: image {src} does not exist')
            for target in LINK.findall(t):
                path, _, anchor = target.partition('#')
                if site and target.startswith(site + '/'):           # nbdev's link to a name: a page of this site
                    rel = path[len(site) + 1:] or 'index.html'
                    dest = outputs.get(rel)
                    if dest is None: problems.append(f'{name}: link {target} leads to no page of the site'); continue
                elif target.startswith(EXTERNAL) or target.startswith('{'): continue
                else:
                    dest = p if not path else page_of(proc, p, re.sub(r'\.html?$', '', path))
                    if dest is None:
                        if not (p.parent/path).exists(): problems.append(f'{name}: link {target} leads to no page')
                        continue
                if anchor and dest in ids and anchor not in ids[dest] and anchor.lower() not in ids[dest]:
                    msg = f'{name}: link {target}: no #{anchor} on {dest.relative_to(proc)}'
                    if site and target.startswith(site + '/') and anchor.startswith('_'):
                        warnings.append(msg + ' (nbdev links a private name it does not document: drop the backticks)')
                    else: problems.append(msg)
        for t in texts:
            for row in broken_tables(t): problems.append(f'{name}: a blank line cuts a table before the row {row!r}')
    return problems, warnings

def title_cell_losses(nb) -> list:
    """What of a source notebook's title cell the site does not show: nbdev turns the first markdown cell with a
    `# Title` into front matter with the title, the first `> description` line and `- key: value` lines only."""
    if any((front_matter(c) or {}).get('title') for c in nb.cells if c.cell_type == 'raw'): return []
    cell = next((c for c in nb.cells if c.cell_type == 'markdown' and re.search(r'^#\s+\S', c.source, re.M)), None)
    if cell is None: return []
    lines = [l for l in cell.source.splitlines() if l.strip()]
    quoted = [l for l in lines if re.match(r'>\s', l)]
    other = [l for l in lines if not re.match(r'#\s|>\s|-\s+\S.*:', l)]
    return ([f'description cut to its first line: {len(quoted) - 1} more `>` line(s) of the title cell not shown '
             '(write the description on one line)'] if len(quoted) > 1 else []) + \
           ([f'{len(other)} line(s) of the title cell not shown (nbdev keeps its title and description only)']
            if other else [])

def duplicate_entries(entries:dict) -> list:
    "(page, entry, times) for every API entry shown more than once on a page (`entries`: page → headings)."
    return [(page, e, n) for page, es in entries.items() for e, n in Counter(es).items() if n > 1]

def check_site(proc:Path, mathjax:str, out:Path|None=None, src:Path|None=None) -> dict:
    "Publish, render and check every processed notebook under `proc` (made from the notebooks under `src`)."
    proc = proc.resolve()
    nbs = sorted(p for p in proc.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
    res = dict(n=len(nbs), failed=[], problems=[], duplicates=[], warnings=[])
    pages, entries, outputs = {}, {}, {}
    for p in nbs:
        name = p.relative_to(proc)
        try:
            nb = nbformat.read(p, as_version=4)
            page = publish(nb)
            html = render(nb, page['title'], mathjax)
            assert len(html) > 1000, 'the page is empty'
        except Exception as e:
            res['failed'].append(f'{name}: {type(e).__name__}: {e}'); continue
        res['problems'] += [f'{name}: {m}' for m in page['problems'] + html_problems(html, mathjax)]
        if src and (src/name).is_file():
            res['warnings'] += [f'{name}: {m}' for m in title_cell_losses(nbformat.read(src/name, as_version=4))]
        pages[p], entries[str(name)] = page['texts'], page['entries']
        outfile = page['output_file'] or p.with_suffix('.html').name
        outputs[str(name.parent/outfile) if name.parent != Path('.') else outfile] = p
        if out:
            dest = out/name.parent/outfile
            dest.parent.mkdir(parents=True, exist_ok=True); dest.write_text(html)
    problems, warnings = check_links(proc, pages, site_url(proc), outputs)
    res['problems'] += problems; res['warnings'] += warnings
    res['duplicates'] = duplicate_entries(entries)
    if out: shutil.copytree(proc, out, ignore=shutil.ignore_patterns('*.ipynb', '_*', '*.yml'), dirs_exist_ok=True)
    return res

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--allow-duplicates', action='store_true',
                    help='list API entries documented twice on a page without failing (default: fail)')
    ap.add_argument('--out', type=Path, help='also write the rendered pages into this folder (default: none)')
    ap.add_argument('--root', type=Path, default=root, help='the nbdev project to check (default: this repository)')
    ap.add_argument('--mathjax', type=Path, default=MATHJAX,
                    help=f"the local MathJax 2 script (default: {MATHJAX}, from Debian's libjs-mathjax)")
    args = ap.parse_args(argv)
    if not args.mathjax.is_file():
        print(f'check_docs: error: no MathJax at {args.mathjax}: install it (apt-get install libjs-mathjax) '
              'or name it with --mathjax', file=sys.stderr)
        return 2
    out = args.out.resolve() if args.out else None
    os.chdir(args.root)
    from nbdev.serve import proc_nbs
    proc = Path(proc_nbs(n_workers=0, force=True))
    from nbdev.config import get_config
    res = check_site(proc, local_mathjax(args.mathjax), out, get_config().nbs_path)
    if not res['n']: print('FAIL no processed notebooks found in _proc/'); return 1
    for m in res['failed']: print(f'FAIL {m}')
    print(f'docs: {res["n"] - len(res["failed"])} of {res["n"]} processed notebooks render to HTML')
    for m in res['problems']: print(f'BROKEN {m}')
    print(f'docs: {len(res["problems"])} problem(s) with images, links, tables, titles or text shown as written')
    for m in res['warnings']: print(f'WARN {m}')
    tag = 'DUPLICATE (allowed)' if args.allow_duplicates else 'DUPLICATE'
    for page, e, n in res['duplicates']: print(f'{tag} {page}: API entry {e} shown {n} times')
    print(f'docs: {len(res["duplicates"])} API entr{"y" if len(res["duplicates"]) == 1 else "ies"} shown twice or more'
          + (' (allowed by --allow-duplicates)' if args.allow_duplicates and res['duplicates'] else ''))
    if out: print(f'docs: pages written to {out}')
    return 1 if res['failed'] or res['problems'] or (res['duplicates'] and not args.allow_duplicates) else 0

if __name__ == '__main__': sys.exit(main())
