"""Run by the signal and resume tests: `python _train_signal_worker.py SIGNAL STEP groupvit_train-flags…` runs
`groupvit_train` and sends SIGNAL to itself right after optimiser step STEP has finished (its log row is written,
its periodic checkpoint not yet), so where the run is interrupted does not depend on the machine's speed."""
import os, signal, sys

from fastai.callback.core import Callback

import groupvit_nb.train as train

SIGNAL, STEP = getattr(signal, sys.argv[1]), int(sys.argv[2])


class SignalAt(Callback):
    order = -6  # after TrainEvalCallback (-10) counted the step, before Checkpoint (-5) looks at it
    def after_batch(self):
        if self.training and self.train_iter == STEP: os.kill(os.getpid(), SIGNAL)


_fit = train.fit_groupvit
train.fit_groupvit = lambda learn, *a, cbs=None, **k: _fit(learn, *a, cbs=[SignalAt(), *(cbs or [])], **k)

if __name__ == '__main__': train.main(sys.argv[3:])
