"""The version of scorelab, in a module of its own so that any module can read it.

A submodule that imported it from the package root would need the root built
first (the import order the root used to depend on).
"""

__version__ = "0.1.0"
