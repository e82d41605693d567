"""`noc mcp serve`: the NOC's tools and its specialists as a Model Context Protocol server.

`config` is the `mcp:` section (plain data, imported by the settings); `catalogue` turns the
tool catalogue into MCP tool listings; `service` gates, runs and audits each call; `auth` maps
bearer tokens to roles; `cli` is the command. `config` alone does not import the SDK (the
settings import it).
"""
