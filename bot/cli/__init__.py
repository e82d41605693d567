"""The `noc` command line: one module per command group, and the terminal renderings they print."""
