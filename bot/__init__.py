"""Wolkvox for Slack: look contact-center customers up in Wolkvox campaigns from Slack."""

__version__ = "0.1.0"
