"Class embeddings as GroupViT's evaluation builds them, and the tokenizer on very long words."
import random, time
import open_clip
import pytest
import torch
import torch.nn.functional as F

from groupvit_nb.core import groupvit_tiny
from groupvit_nb.text import TEMPLATES, clip_bpe, tokenize
from groupvit_nb.classes import class_embeddings

NVLABS_SUBSET = ['itap of a {}.', 'a bad photo of a {}.', 'a origami {}.', 'a photo of the large {}.',
                 'a {} in a video game.', 'art of the {}.', 'a photo of the small {}.']   # datasets/imagenet_template.py


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    m = groupvit_tiny()
    with torch.no_grad():                  # BatchNorm statistics away from 0/1, so that eval mode matters
        for name, b in m.named_buffers():
            if 'running_mean' in name: b.normal_()
            if 'running_var' in name: b.uniform_(0.5, 2)
    return m


def official_embedding(model, names, templates):
    "build_text_embedding of models/multi_label_contrastive.py, one sentence at a time, with open_clip's tokenizer."
    model.eval()
    with torch.no_grad():
        rows = [torch.stack([model.encode_text(open_clip.tokenize([t.format(n)]))[0] for t in templates]) for n in names]
    return F.normalize(torch.stack(rows).mean(1), dim=-1)                  # [C, T, D] → mean over T → normalise


@pytest.mark.parametrize('templates', ['subset', 'simple', 'full'])
def test_class_embeddings_equal_the_official_formula(model, templates):
    names = ['dog', 'traffic light', 'potted plant']
    ref = official_embedding(model, names, TEMPLATES[templates])
    torch.testing.assert_close(class_embeddings(model, names, templates, cache=False), ref, atol=1e-5, rtol=0)


def test_defaults_and_template_sets(model):
    names = ['cat', 'dog']
    assert TEMPLATES['subset'] == NVLABS_SUBSET and TEMPLATES['simple'] == ['a photo of a {}.']
    torch.testing.assert_close(class_embeddings(model, names), official_embedding(model, names, ['a photo of a {}.']),
                               atol=1e-5, rtol=0)
    per_sentence_normalised = F.normalize(F.normalize(torch.stack([torch.stack(
        [model.encode_text(open_clip.tokenize([t.format(n)]))[0] for t in NVLABS_SUBSET]) for n in names]), dim=-1).mean(1), dim=-1)
    assert (per_sentence_normalised - class_embeddings(model, names, 'subset')).abs().max() > 1e-6   # the two recipes differ


def test_class_name_longer_than_the_context_is_named(model):
    long_a, long_b = 'a ' + 'very ' * 80 + 'big dog', 'a ' + 'very ' * 80 + 'big cat'     # identical in the first 75 ids
    assert torch.equal(tokenize(f'a photo of a {long_a}.'), tokenize(f'a photo of a {long_b}.'))
    with pytest.raises(ValueError, match=r"class name 'a very very.*is too long.*at most 75"):
        class_embeddings(model, ['dog', long_b])


@pytest.mark.parametrize('word', ['a' * 3000, 'ab' * 1500, 'xyz' * 900,
                                  ''.join(random.Random(0).choice('abcdefghij') for _ in range(3000))])
def test_long_words_give_clips_ids(word):
    for L in (77, 800):
        assert torch.equal(tokenize(word, context_length=L), open_clip.tokenize([word], context_length=L))


def test_tokenizer_is_not_quadratic_in_the_word_length():
    "One 100,000-character word: minutes with the rescanning merge, well under a second with the heap (bound: 20 s)."
    bpe = clip_bpe()
    word = ''.join(random.Random(1).choice('abcdefghijklmnopqrstuvwxyz') for _ in range(100_000))
    t0 = time.perf_counter(); ids = bpe.encode(word); dt = time.perf_counter() - t0
    assert bpe.decode(ids) == word
    assert dt < 20, f"{dt:.1f} s for one 100,000-character word"
