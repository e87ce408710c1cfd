"""GroupViT, notebook-first: semantic segmentation learned from image-caption pairs alone"""

__version__ = "0.0.1"
