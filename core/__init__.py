"""Federator's core: metadata, tenant, checks and changes.

Never imports Qt (see docs/architecture.md).
"""

__version__ = "0.1.0"
