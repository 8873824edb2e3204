"""Dispatch: planned messages in, lawful messages out through the channels' providers."""
