"""cbec: open one-stop service platform for cross-border e-commerce."""
