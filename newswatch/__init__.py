"""Shared plain helpers used by every layer: durations, located YAML, secret masking."""
