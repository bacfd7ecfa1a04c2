"""The benchmarks' command lines: what a script measures, what it prints, and its defaults."""

from __future__ import annotations

import argparse


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Every option's default shown; the docstring's account of the figures kept as written."""


def parser_of(doc: str | None) -> argparse.ArgumentParser:
    """A parser whose ``--help`` is the module docstring: its first paragraph, then the rest."""
    summary, _, figures = (doc or "").partition("\n\n")
    return argparse.ArgumentParser(
        description=summary, epilog=figures or None, formatter_class=_HelpFormatter
    )
