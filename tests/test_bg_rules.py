"""The background rules are one table, `BG_RULES` (notebook 15): every consumer reads the same rules from it, the
table shown in the segment chapter is the table in the code, and a new row reaches the commands, the model files and
`segment` with no other change."""
import json
from pathlib import Path
import pytest
import torch

from groupvit_nb.cli import BG_RULES, BackgroundRule, bg_thresh_ranges, segment_parser, eval_parser, check_eval_args
from groupvit_nb.core import groupvit_tiny
from groupvit_nb.pretrained import check_zero_shot
from groupvit_nb.segment import add_background, bg_rules_table, segment, zero_shot_settings, CLASS_VALUES, BG_CHANNELS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='module')
def tiny():
    torch.manual_seed(0)
    return groupvit_tiny().eval()


def _bg_mode_option(parser):
    return parser._option_string_actions['--bg-mode']


def test_every_consumer_sees_the_same_rules(tiny):
    names = tuple(BG_RULES)
    for parser in (segment_parser(), eval_parser()):
        option = _bg_mode_option(parser)
        assert tuple(option.choices) == names
        assert all(f'{n} ({r.help})' in option.help for n, r in BG_RULES.items())
    pix, seg = torch.rand(1, 3, 2, 2), torch.rand(1, 4, 3)
    for n, r in BG_RULES.items():
        assert r.values in CLASS_VALUES and r.channel in BG_CHANNELS
        assert check_zero_shot({'bg_mode': n, 'bg_thresh': r.low})['bg_mode'] == n
        assert add_background(pix, seg, r.high, n).shape == (1, 4, 2, 2)
        assert zero_shot_settings(tiny, bg_mode=n, bg_thresh=r.low)['bg_mode'] == n
    for refuse in (lambda: check_zero_shot({'bg_mode': 'otsu'}), lambda: add_background(pix, seg, 0.5, 'otsu'),
                   lambda: zero_shot_settings(tiny, bg_mode='otsu', bg_thresh=0.5)):
        with pytest.raises(ValueError, match=r"bg_mode must be one of \('threshold', 'logit', 'probability'\)"): refuse()
    from groupvit_nb.demo import BG_GRIDS
    assert BG_GRIDS == {n: r.grid for n, r in BG_RULES.items() if r.grid}
    from groupvit_nb.app import _threshold, FieldError
    with pytest.raises(FieldError, match=r'\[-1, 1\] with logit'): _threshold('abc')


def test_the_chapter_shows_the_table_in_the_code():
    nb = json.loads((ROOT / 'nbs' / '15_segment.ipynb').read_text())
    shown = [''.join(o['data']['text/markdown']) for c in nb['cells'] if 'bg_rules_table()' in ''.join(c['source'])
             and c['cell_type'] == 'code' for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {})]
    assert shown == [bg_rules_table()]


TOY = BackgroundRule('cosines', 'capped', -1., 1., (-0.5, 0.), 'a toy rule: cosines, capped')


def test_a_new_rule_is_one_row(monkeypatch, tiny, tmp_path):
    monkeypatch.setitem(BG_RULES, 'toy', TOY)
    for parser in (segment_parser(), eval_parser()):
        option = _bg_mode_option(parser)
        assert 'toy' in option.choices and 'toy (a toy rule: cosines, capped)' in option.help
    assert segment_parser().parse_args(['x.png', '--classes', 'a', '--out', 'o', '--bg-mode', 'toy']).bg_mode == 'toy'
    root = tmp_path / 'voc'; root.mkdir()
    argv = ['--dataset', 'voc', '--root', str(root), '--weights', 'nvidia/groupvit-gcc-yfcc', '--bg-mode', 'toy']
    assert check_eval_args(argv + ['--bg-thresh', '-0.5']).bg_thresh == -0.5          # the row's range, not [0, 1]
    with pytest.raises(ValueError, match=r'must lie in \[-1, 1\] with --bg-mode toy'): check_eval_args(argv + ['--bg-thresh', '2'])
    assert '[-1, 1] with logit or toy' in bg_thresh_ranges()
    assert check_zero_shot({'bg_mode': 'toy', 'bg_thresh': -0.5}) == {'bg_mode': 'toy', 'bg_thresh': -0.5}
    x = torch.randn(1, 3, 32, 48, generator=torch.Generator().manual_seed(2))
    text = torch.nn.functional.normalize(torch.randn(3, 128, generator=torch.Generator().manual_seed(1)), dim=-1)
    kw = dict(mode='whole', short_side=0, text_emb=text, return_scores=True)
    _, toy = segment(tiny, x, ['a', 'b', 'c'], bg_mode='toy', bg_thresh=1., **kw)
    _, logit = segment(tiny, x, ['a', 'b', 'c'], bg_mode='logit', bg_thresh=0., **kw)
    torch.testing.assert_close(toy[:, 1:], logit[:, 1:])                             # the cosines of 'logit' …
    assert set(toy[:, 0].unique().tolist()) <= {0., 1.}                              # … with the capped channel
    _, none = segment(tiny, x, ['a', 'b', 'c'], bg_mode='toy', bg_thresh=-1., **kw)
    assert none[:, 0].eq(0).all()                                                   # no cosine lies below -1
