"""Taxes of cross-border e-commerce: retail import, export refund and exemption, returned goods."""
