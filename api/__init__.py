"""The interfaces of `bilateral`: the command line (`api.cli`) and, later, the HTTP server."""
