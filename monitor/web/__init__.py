"""The read-only web view: pages over the archive, Atom feeds of each watch's alerts, served by `newswatch web` and `run`."""
