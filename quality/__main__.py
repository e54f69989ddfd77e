"""`python -m quality` prints every suite and its expectations as Markdown."""

from quality.catalog import markdown

print(markdown())
