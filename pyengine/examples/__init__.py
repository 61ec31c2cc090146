"""Runnable examples: ``python -m pyengine.examples.tour``."""
