"""The ``helpnext`` command line: parse, call the library, print."""
