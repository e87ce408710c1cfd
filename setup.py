# The package metadata lives in pyproject.toml (nbdev 3 keeps its settings under [tool.nbdev]
# there, where nbdev 2 used settings.ini). This shim lets old tools run `python setup.py ...`.
from setuptools import setup

setup()
