"""`python -m bots.cli`: the same as the `rupor` command."""

from bots.cli.main import main

main()
