"""GroupViT, notebook-first: semantic segmentation learned from image-caption pairs alone

Modules:

- `groupvit_nb.data`: Image–caption pairs at every scale: a table on a laptop, webdataset shards on a cluster, synthetic captioned shapes for demos — with the paper's augmentation, fastai `DataLoaders`, and bad samples counted, never fatal.
- `groupvit_nb.eval`: Zero-shot semantic segmentation on PASCAL VOC 2012, PASCAL Context and COCO-Object (mIoU from an accumulated confusion matrix), zero-shot ImageNet classification (top-1 / top-5), and the `groupvit_eval` command.
- `groupvit_nb.losses`: The image–text contrastive loss (eq. 6), the multi-label contrastive loss (eq. 7) and their sum (eq. 8), computed over the global batch of all processes.
- `groupvit_nb.segment`: From a trained GroupViT and a list of class names to a label map per pixel: the patch→segment map, group→class scores, the background threshold, whole and sliding-window inference, pictures of labels and groups, and the `groupvit_segment` command.
- `groupvit_nb.text`: CLIP's tokenizer, offline noun extraction, prompt templates and multi-label captions: everything between a caption and the text encoder.
- `groupvit_nb.train`: The training path of GroupViT: a fastai `Learner` with the paper's recipe (eq. 8, AdamW, warm-up + cosine, gradient clipping), mixed precision, multi-GPU / multi-node DDP, crash-safe resume and the `groupvit_train` tool."""

__version__ = "0.0.1"
