"""GroupViT, notebook-first: semantic segmentation learned from image-caption pairs alone

Modules:

- `groupvit_nb.demo`: `groupvit_demo`: a small GroupViT trained from scratch on captioned synthetic shapes — captions only, never a mask — segments held-out images zero-shot from nothing but the class names. The checkpoint ships with the package.
- `groupvit_nb.train`: The training path of GroupViT: a fastai `Learner` with the paper's recipe (eq. 8, AdamW, warm-up + cosine, gradient clipping), mixed precision, multi-GPU / multi-node DDP, crash-safe resume and the `groupvit_train` tool."""

__version__ = "0.0.1"
