"""The ``veille`` command: the top layer, above the scheduler, the spiders and everything they use.

``cli.app`` holds the command group, ``cli/commands/`` the commands, ``cli.output`` what
they print and ``cli/demo/`` the demo with its recorded sites. Importing the command
modules registers their commands on the group.
"""

from cli.app import cli
from cli.commands import alerts, browse, crawl, relevance, status, web
from cli.demo import demo

__all__ = ["alerts", "browse", "cli", "crawl", "demo", "main", "relevance", "status", "web"]


def main() -> None:
    cli(prog_name="veille")
