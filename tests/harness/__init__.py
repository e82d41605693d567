"""The tests' shared harness: helpers that more than one test module uses (the running Slack app,
`noc run` processes, scripted Claude replies, store and report clocks, alert payloads, the
corpora of hostile and secret-bearing text). Test modules import from here, from `tests.fakes`
and from the fixtures in `tests/conftest.py`; never from another test module, so a test file can
be moved, split or deleted without breaking its neighbours."""
