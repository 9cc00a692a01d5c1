"""Hiroba intake: domain modules (no Flask) and, under intake.web, the Flask app."""
