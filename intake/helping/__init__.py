"""Helping people: moderators find accounts and undo or correct what went wrong."""
