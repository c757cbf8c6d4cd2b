"""cbec: open one-stop service platform for cross-border e-commerce."""

__version__ = "0.1.0"
