"""What a config reload changes: outlets added, removed and changed, channels, and the keys that need a restart."""
from __future__ import annotations

from dataclasses import dataclass, field

from monitor.config import Config

RESTART_ONLY = ("database", "crawler", "http")  # the engine, the database lock and the listening socket are made at start


@dataclass
class ConfigChange:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # channels added, removed or changed
    restart_only: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{label} {', '.join(names)}" for label, names in (
            ("outlets added:", self.added), ("outlets removed:", self.removed), ("outlets changed:", self.changed),
            ("channels changed:", self.channels)) if names]
        return "; ".join(parts) or "no outlet or channel changed"


def config_change(old: Config, new: Config) -> ConfigChange:
    before = {o.name: o for o in old.settings.outlets}
    after = {o.name: o for o in new.settings.outlets}
    channels_before, channels_after = old.settings.channels, new.settings.channels
    return ConfigChange(
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(name for name in set(before) & set(after) if before[name] != after[name]),
        channels=sorted(name for name in set(channels_before) | set(channels_after)
                        if channels_before.get(name) != channels_after.get(name)),
        restart_only=[key for key in RESTART_ONLY if getattr(old.settings, key) != getattr(new.settings, key)],
    )
