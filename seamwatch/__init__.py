"""Seamwatch: integration-health monitor. The spine shared by every stage."""

__version__ = "0.1.0"
