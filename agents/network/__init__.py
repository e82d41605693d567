"""Device access: the inventory and the NAPALM gateway that every tool goes through."""
