"""Tests of single modules and pure functions, called in-process: fast, no user path."""
