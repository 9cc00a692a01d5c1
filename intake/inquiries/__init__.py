"""Inquiries to the operator: the public contact form, the moderators' inbox, replies by mail."""
