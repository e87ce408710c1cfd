"""Cost of the GroupViT losses (eq. 6 + eq. 7 = eq. 8, `groupvit_nb.losses.GroupViTLoss`): one forward + backward on
random float32 embeddings, one process (world size 1), CPU. Prints the median of several runs per shape.
Usage: python benchmarks/losses.py [threads]   (default 1: steadier figures on a shared machine)"""
import statistics, sys, time

import torch
import torch.nn as nn

from groupvit_nb.losses import LOGIT_SCALE_INIT, GroupViTLoss, prompt_ids_from_tokens


def time_step(B, K, D, same_prompt_positive, reps=7):
    g = torch.Generator().manual_seed(0)
    img = torch.randn(B, D, generator=g).requires_grad_()
    txt = torch.randn(B, D, generator=g).requires_grad_()
    prm = torch.randn(B, K, D, generator=g).requires_grad_()
    ids = prompt_ids_from_tokens(torch.randint(1, 200, (B, K, 77), generator=g)) if same_prompt_positive else None
    ls, mls = nn.Parameter(torch.tensor(LOGIT_SCALE_INIT)), nn.Parameter(torch.tensor(LOGIT_SCALE_INIT))
    loss_fn = GroupViTLoss(same_prompt_positive=same_prompt_positive)
    loss_fn(img, txt, prm, ls, mls, ids)[0].backward()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        loss_fn(img, txt, prm, ls, mls, ids)[0].backward()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


if __name__ == '__main__':
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    print(f"{'B':>5} {'K':>2} {'D':>4} {'same_prompt_positive':>21} {'ms (fwd+bwd, median)':>21}")
    for B in (256, 1024):
        for opt in (False, True):
            print(f"{B:>5} {3:>2} {256:>4} {str(opt):>21} {time_step(B, 3, 256, opt):>21.1f}")
