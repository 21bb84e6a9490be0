"""The `hajj-ivr` command line: a package of leaf modules, one per noun, each listing its
commands as data (table.Command); main.py builds the parser and runs one.

This is the one package __init__ that imports: the console script's entry point is
``ivr.cli:main``.
"""

from ivr.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
