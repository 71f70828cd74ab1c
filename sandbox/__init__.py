"""The sandbox tenant: a loopback HTTPS stand-in for Microsoft Graph and login, with faults.

It is the ground truth of Federator's tests and the product's demo mode. See ``server.Sandbox``.
"""

from sandbox.faults import FaultSpecError
from sandbox.server import RequestRecord, Sandbox

__all__ = ["FaultSpecError", "RequestRecord", "Sandbox"]
