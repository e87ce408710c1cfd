"""GroupViT, notebook-first: semantic segmentation learned from image-caption pairs alone

Modules:

- `groupvit_nb.train`: The training path of GroupViT: a fastai `Learner` with the paper's recipe (eq. 8, AdamW, warm-up + cosine, gradient clipping), mixed precision, multi-GPU / multi-node DDP, crash-safe resume and the `groupvit_train` tool."""

__version__ = "0.0.1"
