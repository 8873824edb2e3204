"""The `contactengine` command line."""
