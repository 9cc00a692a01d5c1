"""Domain services: the rules, SQL and crypto behind the views and the worker jobs."""
