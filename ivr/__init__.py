"""hajj-ivr: the 500425 hajj information hotline controller."""

__version__ = "0.1.0"
