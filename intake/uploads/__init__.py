"""Flyers and images of posts: checked, cleaned, kept privately until approval."""
