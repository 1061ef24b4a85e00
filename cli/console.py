"""The two consoles of the command line: results on stdout, problems on stderr."""

from rich.console import Console

console = Console()
error_console = Console(stderr=True)
