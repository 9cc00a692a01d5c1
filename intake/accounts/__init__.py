"""Accounts: registration, sign-in, sessions, password reset, change requests, withdrawal."""
