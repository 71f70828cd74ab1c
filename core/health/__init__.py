"""Keeping federation working: where each domain's IdP metadata comes from, and a health watch.

The day a federation breaks is rarely the day it was set up: it is the day the IdP's signing
certificate expires, or the IdP rotates it and nobody tells Microsoft. This package judges every
federated domain of a tenant against its IdP's current metadata and names the one safe change
(an existing journaled operation) that fixes what it finds.

- :mod:`core.health.model`: findings, a domain's health, the report and its exit code.
- :mod:`core.health.judge`: the pure judgement of one domain (no HTTP, no clock of its own).
- :mod:`core.health.sources`: the per-user record of each domain's metadata source.
- :mod:`core.health.gather`: the reads (Graph in as few round trips as it allows, realm
  discovery, one metadata fetch per distinct source) and the run that ties them together.
"""
