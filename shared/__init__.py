"""eldernet's shared kernel: what every service needs, written once."""

__version__ = "0.1.0"
