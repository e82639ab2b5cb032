"""The daemon's watch rules, kept current: rule files re-read when they change, a broken edit reported once."""
from __future__ import annotations

import logging
import threading

from monitor.config import Config
from monitor.delivery import send, url_for_send
from monitor.metrics import RULE_RELOADS
from monitor.operations import tell_admins
from monitor.render import Message
from newswatch.yamlsource import ConfigError
from rules.matcher import Matcher
from rules.ruleset import rules_fingerprint

log = logging.getLogger(__name__)


class LiveRules:
    """The current matcher. The rule files are checked every few seconds (and before each use); an edit
    takes effect at once, a broken edit keeps the last good rules and is reported to the log and to
    the config's `admin` channels, once per broken version of the files."""

    def __init__(self, config: Config) -> None:
        self.config = config
        rules = config.load_rules()  # broken rules at start-up are a config error: refuse to start
        self.fingerprint = rules.fingerprint
        self.matcher = Matcher(rules)
        self.reported: str | None = None  # fingerprint of the broken files already reported
        self._lock = threading.Lock()

    def current(self) -> Matcher:
        with self._lock:
            was_broken = self.reported is not None
            matcher, errors = self._refresh()
            fixed = was_broken and self.reported is None
        if errors:  # outside the lock: a slow admin channel must not hold up matching
            self._tell_admins(errors)
        if fixed:
            log.warning("rule files are fixed; the current rules are in use")
            tell_admins(self.config, "newswatch: rule files are fixed", "The watch rules load again; newswatch uses the current rule files.")
        return matcher

    def _refresh(self) -> tuple[Matcher, str | None]:
        """The matcher to use, and the errors of a broken edit not reported before."""
        fingerprint = rules_fingerprint(self.config.settings.rules, self.config.base_dir)
        if fingerprint == self.fingerprint:  # unchanged, or changed back to the good version
            self.reported = None
            return self.matcher, None
        if fingerprint == self.reported:
            return self.matcher, None
        try:
            rules = self.config.load_rules()
        except ConfigError as exc:
            self.reported = fingerprint
            log.error("rule files have errors; keeping the last good rules:\n%s", exc)
            return self.matcher, str(exc)
        self.fingerprint, self.matcher, self.reported = rules.fingerprint, Matcher(rules), None
        RULE_RELOADS.inc()
        log.warning("rules reloaded: %d watch(es) from %d file(s)", len(rules.watches), len(rules.files))
        return self.matcher, None

    def _tell_admins(self, errors: str) -> None:
        body = "An edit to the watch rules has errors; newswatch keeps using the last good rules until they are fixed.\n\n" + errors
        for name in self.config.settings.admin:
            failure = send(url_for_send(self.config.settings.channels[name], None), Message("newswatch: rule files have errors", body, "text"))
            if failure:
                log.warning("could not tell admin channel %s about the rule errors: %s", name, failure)
