"""`python -m bot.cli`: the same entry point as the `noc` console script."""

from bot.cli.main import main

main()
