"""The released weights reproduce transformers' own integration test (opt-in: it downloads the weights, a COCO image
and CLIP's preprocessing). Run it on a machine with internet:

    GROUPVIT_ONLINE=1 pytest -q tests/test_pretrained_online.py

Without GROUPVIT_ONLINE=1, or when a download fails, the tests are skipped and say why."""
import io, os, urllib.request
import pytest
import torch
import torch.nn.functional as F

from groupvit_nb.core import GroupViT
from groupvit_nb.text import tokenize

COCO_39769 = 'http://images.cocodataset.org/val2017/000000039769.jpg'   # two cats on a couch, as in transformers' test
TEXTS = ['a photo of a cat', 'a photo of a dog']
EXPECTED = {'nvidia/groupvit-gcc-yfcc': [[13.3523, 6.3629]],           # logits_per_image expected by transformers'
            'nvidia/groupvit-gcc-redcaps': [[16.1873, 8.6230]]}        # GroupViT integration tests, atol 1e-3

pytestmark = pytest.mark.skipif(os.environ.get('GROUPVIT_ONLINE') != '1',
                                reason='opt-in, needs internet: GROUPVIT_ONLINE=1 pytest -q tests/test_pretrained_online.py')


@pytest.fixture(scope='module')
def inputs():
    "CLIPProcessor's pixel values of COCO val2017 image 39769 and its token ids of the two texts."
    try:
        from PIL import Image
        from transformers import CLIPProcessor
        with urllib.request.urlopen(COCO_39769, timeout=30) as r: image = Image.open(io.BytesIO(r.read())).convert('RGB')
        processor = CLIPProcessor.from_pretrained('openai/clip-vit-base-patch32')
    except Exception as e:
        pytest.skip(f"offline: could not download the test image or CLIP's processor ({type(e).__name__}: {str(e)[:80]})")
    return processor(text=TEXTS, images=image, return_tensors='pt', padding=True)


def test_tokenizer_matches_clips(inputs):
    ids, ours = inputs['input_ids'], tokenize(TEXTS)
    assert torch.equal(ours[:, :ids.shape[1]], ids) and not ours[:, ids.shape[1]:].any()


@pytest.mark.parametrize('hub_id', list(EXPECTED))
def test_released_weights_give_transformers_logits(inputs, hub_id):
    try: model = GroupViT.from_pretrained(hub_id)
    except OSError as e: pytest.skip(f"offline: {e}")
    assert model.zero_shot == {}                                          # the released weights keep the official defaults
    with torch.no_grad():
        image = F.normalize(model.encode_image(inputs['pixel_values']), dim=-1)
        text = F.normalize(model.encode_text(tokenize(TEXTS)), dim=-1)
        logits_per_image = model.logit_scale.exp() * image @ text.T
    torch.testing.assert_close(logits_per_image, torch.tensor(EXPECTED[hub_id]), atol=1e-3, rtol=0)
