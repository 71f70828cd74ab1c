"""Federator's desktop face: a thin PySide6 layer over ``core``. No federation logic lives here."""
