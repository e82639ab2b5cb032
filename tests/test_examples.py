"""The example config and rules in examples/ are valid, as the README promises."""
from pathlib import Path

from monitor.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_example_config_passes_rules_check(monkeypatch, capsys) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "example-password")
    assert main(["--config", str(EXAMPLES / "newswatch.yaml"), "rules", "check"]) == 0
    assert "ok: 3 outlet(s), 2 channel(s), 4 watch(es) and 5 entit(y/ies) in 1 rule file(s)" in capsys.readouterr().out


def test_help_lists_every_command(capsys) -> None:
    import pytest

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("crawl", "run", "rules", "archive", "outlets", "alerts", "demo"):
        assert command in out
