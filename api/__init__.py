"""The interfaces of `bilateral`: the command line (`api.cli`) and the HTTP server (`api.app`, run by
`api.serve`), over the library in `graph`."""
