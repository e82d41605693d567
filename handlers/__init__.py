"""Bolt listeners: thin modules that parse, authorise, ack and hand work to the runtime."""
