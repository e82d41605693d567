"""Specialist agents: declarative definitions plus offline analysts that reason over tool evidence."""
