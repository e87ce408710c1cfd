"""Run by tests/test_train_ddp.py under torchrun: trains a few steps through `groupvit_train`'s own setup
(`build_run`), then every process saves what it holds. With a second argument (a table of image–caption pairs) it
trains on that table instead and every process saves why and after which step training stopped."""
import sys
from pathlib import Path

import torch
from fastai.callback.core import Callback

from groupvit_nb.train import build_run, fit_groupvit, parse_train_args, unwrap, TrainingStopped
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
    data = ['--data', sys.argv[2], '--image-size', '32'] if len(sys.argv) > 2 else ['--data', 'synthetic', '--n-train', '32', '--n-valid', '8']
    args = parse_train_args([*data, '--preset', 'tiny', '--batch', '8',
                             '--epochs', '1', '--warmup-epochs', '0', '--lr', '1e-3', '--context-length', '16',
                             '--num-workers', '0', '--save-every', '0', '--no-progress', '--collapse-every', '0', '--out', str(out)])
    learn, start, rank = build_run(args)
    if len(sys.argv) > 2:
        try: fit_groupvit(learn, args.epochs, args.lr, args.warmup_epochs); stopped = None
        except TrainingStopped as e: stopped = e.message
        torch.save(dict(rank=rank, stopped=stopped, step=learn.train_iter), out / f'stopped{rank}.pt')
    else:
        initial = {k: v.clone() for k, v in learn.model.state_dict().items()}
        rec = Record()
        fit_groupvit(learn, args.epochs, args.lr, args.warmup_epochs, cbs=[rec])
        torch.save(dict(rank=rank, world=rank_and_world()[1], wrapper=rec.wrapper, seen=rec.seen, initial=initial,
                        final=unwrap(learn.model).state_dict()), out / f'rank{rank}.pt')
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
