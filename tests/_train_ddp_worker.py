"""Run by tests/test_train_ddp.py under torchrun: trains a few steps through `groupvit_train`'s own setup
(`build_run`), then every process saves what it holds."""
import sys
from pathlib import Path

import torch
from fastai.callback.core import Callback

from groupvit_nb.train import build_run, fit_groupvit, parse_train_args, unwrap
from groupvit_nb.losses import rank_and_world


class Record(Callback):
    "What this process saw: the wrapper type during training and a fingerprint of each of its batches."
    order = 0
    def before_fit(self): self.seen, self.wrapper = [], None
    def before_batch(self):
        if self.training:
            self.wrapper = type(self.learn.model).__name__
            self.seen.append(float(self.xb[0].double().sum()))


if __name__ == '__main__':
    out = Path(sys.argv[1])
    args = parse_train_args(['--data', 'synthetic', '--preset', 'tiny', '--n-train', '32', '--n-valid', '8', '--batch', '8',
                             '--epochs', '1', '--warmup-epochs', '0', '--lr', '1e-3', '--context-length', '16',
                             '--num-workers', '0', '--save-every', '0', '--no-progress', '--out', str(out)])
    learn, start, rank = build_run(args)
    initial = {k: v.clone() for k, v in learn.model.state_dict().items()}
    rec = Record()
    fit_groupvit(learn, args.epochs, args.lr, args.warmup_epochs, cbs=[rec])
    torch.save(dict(rank=rank, world=rank_and_world()[1], wrapper=rec.wrapper, seen=rec.seen, initial=initial,
                    final=unwrap(learn.model).state_dict()), out / f'rank{rank}.pt')
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
