"Shared pieces of the pytest suite: a tiny saved model and a launcher for gloo worker processes."
import pytest, torch
import torch.multiprocessing as mp
from groupvit_nb.core import groupvit_tiny


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
    "A random-weight `groupvit_tiny`, saved with `save_pretrained` (a folder `from_pretrained` and the CLIs read)."
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('weights') / 'tiny'
    groupvit_tiny().eval().save_pretrained(path)
    return path


def run_ranks(worker, world:int, tmp) -> list:
    """Run `worker(rank, init_file, out_dir)` in `world` processes and load what each saved as `out_dir/rank{r}.pt`.
    fork (Linux) starts the workers without re-importing torch, and DDP's lazy import of torch._dynamo (several
    seconds) is done once here instead of once per worker."""
    method = 'fork' if 'fork' in mp.get_all_start_methods() else 'spawn'
    if method == 'fork': import torch._dynamo  # noqa: F401
    mp.start_processes(worker, args=(str(tmp / 'init'), str(tmp)), nprocs=world, join=True, start_method=method)
    return [torch.load(tmp / f'rank{r}.pt') for r in range(world)]
