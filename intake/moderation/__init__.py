"""Moderation: the queue, decisions on accounts and posts, rejection reason templates."""
