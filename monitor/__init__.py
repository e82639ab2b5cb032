"""The newswatch daemon: configuration, the monitoring cycle, alert delivery, the CLI."""
