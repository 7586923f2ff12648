"""Adapters, rendering and the command line around the dialog engine."""
