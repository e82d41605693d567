"""`python -m bot.cli`: the same entry point as the `noc` console script (bot.cli.launch)."""

from bot.cli.launch import main

main()
