"Multi-process behaviour of groupvit_nb.data: worker seeding, worker/node sharding, skip reports from workers."
import io, warnings
import numpy as np, pytest, torch, webdataset as wds
from PIL import Image
from groupvit_nb.shapes import SyntheticShapes
from groupvit_nb.data import BadDataWarning, pair_dataloaders, train_transform, WebShards


class IndexTokenizer:
    "Caption 'sample N' → tokens whose [0,0] is N, so a test can tell which samples it got."
    def __call__(self, caption):
        t = torch.zeros(2, 77, dtype=torch.long); t[0, 0] = int(caption.split()[-1]); return t


class RandomTokenizer:
    "Tokens from torch's RNG: shows which random stream each worker uses."
    def __call__(self, caption): return torch.randint(0, 1000, (2, 77))


def _jpg(i):
    b = io.BytesIO()
    Image.fromarray(np.random.default_rng(i).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(b, 'JPEG')
    return b.getvalue()


@pytest.fixture(scope='module')
def shard_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp('shards')
    for s in range(4):
        with wds.TarWriter(str(d / f'{s:03d}.tar')) as w:
            for i in range(10):
                n = s * 10 + i
                w.write({'__key__': f'{n:05d}', 'jpg': _jpg(n), 'txt': f'sample {n}'})
    raw = (d / '000.tar').read_bytes()
    (d / 'cut.tar').write_bytes(raw[:len(raw) // 2 + 50])
    return d


def _first_batches(seed, n=2, workers=2):
    dls = pair_dataloaders(SyntheticShapes(64, 48), size=32, batch_size=8, num_workers=workers, seed=seed,
                           tokenizer=RandomTokenizer(), persistent_workers=False)
    it = iter(dls.train)
    out = [next(it) for _ in range(n)]
    del it
    return out


def test_worker_seeding_is_reproducible():
    a, b, c = _first_batches(0), _first_batches(0), _first_batches(1)
    for (xa, ta), (xb, tb) in zip(a, b):
        assert torch.equal(xa, xb) and torch.equal(ta, tb)
    assert not torch.equal(a[0][0], c[0][0])
    # the two workers (batches 0 and 1 come from workers 0 and 1) draw different random streams
    assert not torch.equal(a[0][1], a[1][1])


def test_shards_split_by_worker_cover_every_sample_once(shard_dir):
    dls = pair_dataloaders(str(shard_dir / '{000..003}.tar'), str(shard_dir / '{000..003}.tar'), size=16,
                           batch_size=4, num_workers=2, tokenizer=IndexTokenizer(), epoch_length=40)
    seen = sorted(int(v) for _, t in dls.valid for v in t[:, 0, 0])
    assert seen == list(range(40))
    assert len(dls.train) == 10
    sizes = [len(x) for x, _ in dls.train]
    assert sizes == [4] * 10


def test_shards_split_by_node(shard_dir):
    seen = []
    for rank in range(2):
        dls = pair_dataloaders(str(shard_dir / '{000..003}.tar'), str(shard_dir / '{000..003}.tar'), size=16,
                               batch_size=5, num_workers=2, tokenizer=IndexTokenizer(), epoch_length=40,
                               rank=rank, world_size=2)
        assert len(dls.train) == 4                      # 40 samples / (5 × 2 nodes)
        seen.append({int(v) for _, t in dls.valid for v in t[:, 0, 0]})
    assert not seen[0] & seen[1] and seen[0] | seen[1] == set(range(40))


def test_workers_report_skips_each_epoch(shard_dir):
    spec = [str(shard_dir / '001.tar'), f"pipe:cat {shard_dir / 'cut.tar'}"]
    dls = pair_dataloaders(spec, size=16, batch_size=4, num_workers=2, tokenizer=IndexTokenizer(), epoch_length=16,
                           persistent_workers=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        for _ in range(2): assert [len(x) for x, _ in dls.train] == [4] * 4
    reports = [str(o.message) for o in w if issubclass(o.category, BadDataWarning)]
    assert len(reports) == 2 and all('cut in the middle' in r for r in reports), reports
    assert len(dls.train.skips.epochs) == 2


def test_too_many_workers_for_shards_warns(shard_dir):
    with pytest.warns(UserWarning, match='using 2'):
        dls = pair_dataloaders(str(shard_dir / '{000..001}.tar'), size=16, batch_size=4, num_workers=4,
                               tokenizer=IndexTokenizer(), epoch_length=16)
    assert dls.train.num_workers == 2
