"""Write groupvit_nb/demo/vocabulary.json: the nouns of the prompts the shipped demo model was trained with, counted
as `groupvit_train` counts them (`PromptVocabulary`, notebook `13_callbacks`).

The shipped model was trained before runs counted their prompts, so its count is made by replaying its training data:
`groupvit_train --config groupvit_nb/demo/train.yaml` is built as for training — the same captions, the same curriculum,
the same shuffles and the same noun draws (the tokenizer's random stream depends only on the seed, the process and the
epoch) — and every step is cancelled after its prompts are counted, before the model runs.
Usage: python tools/demo_vocabulary.py [--check]   (--check: exit 1 if the file differs from the replay; a few minutes)
"""
import json, sys, tempfile
from pathlib import Path
from groupvit_nb.cli import quiet_warnings
quiet_warnings()  # before fastai, whose import calls the deprecated torch.jit.script
from fastai.callback.core import Callback, CancelBatchException, CancelValidException

root = Path(__file__).resolve().parents[1]


class CountOnly(Callback):
    "Cancel every step once `PromptVocabulary` has counted its prompts, and every validation: only the data is read."
    order = -2  # after PromptVocabulary (-3)
    def before_batch(self):
        self.learn.yb = ()  # no step happened (Recorder, StepLog)
        raise CancelBatchException
    def before_validate(self): raise CancelValidException


def replay() -> dict:
    from groupvit_nb.train import parse_train_args, build_run, fit_groupvit
    with tempfile.TemporaryDirectory() as d:
        args = parse_train_args(['--config', str(root/'groupvit_nb/demo/train.yaml'), '--out', str(Path(d)/'run'),
                                 '--no-progress', '--save-every', '0'])
        learn, start, _ = build_run(args)
        learn.add_cb(CountOnly())
        with learn.no_logging():
            fit_groupvit(learn, args.epochs, args.lr, args.warmup_epochs, args.warmup_lr, args.min_lr, start)
        learn.out_lock.close()
        return learn.prompt_vocabulary.final


def main():
    vocab, f = replay(), root/'groupvit_nb/demo/vocabulary.json'
    if '--check' in sys.argv[1:]:
        same = f.is_file() and json.loads(f.read_text()) == vocab
        print(f"{f}: {'up to date' if same else 'differs from the replay'}")
        sys.exit(0 if same else 1)
    f.write_text(json.dumps(vocab, indent=1) + '\n')
    print(f"wrote {f}: {len(vocab)} nouns, {sum(vocab.values())} prompts")


if __name__ == '__main__': main()
