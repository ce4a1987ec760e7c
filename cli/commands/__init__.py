"""The commands of ``veille``, one module per group of them."""
