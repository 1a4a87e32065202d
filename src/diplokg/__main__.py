"""``python -m diplokg``: the same as the ``diplokg`` console script."""

from diplokg.cli import main

main()
