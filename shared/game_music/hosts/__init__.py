"""Installing into host applications (OBS Studio, DaVinci Resolve) and checking them.

The modules here are standard library only and import nothing relative: the installer loads
them by path before the package is installed anywhere.
"""
