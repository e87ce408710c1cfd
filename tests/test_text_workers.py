"""MultiLabelTokenizer in DataLoader workers started with `spawn` (the tokenizer reaches them pickled)."""
import torch
from torch.utils.data import DataLoader, Dataset
from groupvit_nb.text import MultiLabelTokenizer, decode

CAPTION = "A man riding a wave on top of a surfboard next to a boat."

class Captions(Dataset):
    def __init__(self, tok, n=8): self.tok, self.n = tok, n
    def __len__(self): return self.n
    def __getitem__(self, i): return self.tok(CAPTION)

def _run(tok):
    dl = DataLoader(Captions(tok), batch_size=1, num_workers=2, multiprocessing_context='spawn')
    return torch.cat(list(dl))

def test_spawn_workers_reproducible_and_independent():
    tok = MultiLabelTokenizer(seed=0)
    tok(CAPTION)                                   # a stream used in the main process is not shipped to workers
    a, b = _run(tok), _run(MultiLabelTokenizer(seed=0))
    assert a.shape == (8, 4, 77)
    assert torch.equal(a, b)                       # same seed, same draws
    assert not torch.equal(a[0::2], a[1::2])       # worker 0 and worker 1 draw differently
    main = torch.stack([MultiLabelTokenizer(seed=0)(CAPTION) for _ in range(4)])
    assert not torch.equal(a[0::2], main)          # and differently from the main process
    assert all(r[0] == decode(a[0, 0]) for r in decode(a))   # row 0 is always the caption
