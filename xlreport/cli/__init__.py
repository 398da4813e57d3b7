"""The command line (click): one command per library function, Chinese throughout."""

from .commands import Fail, cli, main

__all__ = ["cli", "main", "Fail"]
