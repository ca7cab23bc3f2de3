"""Accounts: the companies behind visitors, and how each visitor is known to belong to one."""
