"""Shared pytest fixture modules, listed in tests/conftest.py pytest_plugins."""
