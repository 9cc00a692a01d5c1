"""The files that run Hiroba on a server (nginx site, systemd units, environment file,
logrotate), kept here as package data and filled in for one instance by `hiroba deploy`."""
