"""The rq jobs, one module per domain; each checks state, calls the domain's services or the
build layer, and returns early when its work is done. intake names them in intake/jobs.py."""
