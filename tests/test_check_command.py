"""`newswatch check` and `newswatch db upgrade`: one clear line per problem, postgres:// URLs, masked secrets."""
from __future__ import annotations

from monitor.cli import main
from tests.conftest import free_port
from tests.helpers import write_config


def test_check_passes_a_good_setup_and_db_upgrade_runs_the_migrations(tmp_path, database_url, capsys) -> None:
    url = database_url.replace("postgresql+psycopg://", "postgres://")  # how hosting services write it
    config = write_config(tmp_path, url, {}, {"chat": "json://127.0.0.1:9/x"})
    assert main(["--config", str(config), "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: 0 outlet(s), 1 channel(s), 2 watch(es) in 1 rule file(s)") and "reachable and empty" in out
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert "database schema upgraded from empty to " in capsys.readouterr().out
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert main(["--config", str(config), "check"]) == 0
    assert "schema up to date" in capsys.readouterr().out


def test_check_reports_each_problem_on_one_line_without_secrets(tmp_path, capsys) -> None:
    port = free_port()  # nothing listens: the connection is refused
    config = write_config(tmp_path, f"postgresql://newswatch:Sup3rSecretPw@127.0.0.1:{port}/news", {},
                          {"chat": "json://127.0.0.1:9/x"})
    assert main(["--config", str(config), "check"]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"database postgresql+psycopg://127.0.0.1:{port}/…: OperationalError: ") and "refused" in line
    assert "Sup3rSecretPw" not in captured.err + captured.out and "Traceback" not in captured.err

    # any command that needs the database says the same in one line
    assert main(["--config", str(config), "outlets"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "OperationalError" in err and "Sup3rSecretPw" not in err

    bad = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"chat": "jsn://127.0.0.1:9/x?token=abcdef123456"})
    assert main(["--config", str(bad), "check"]) == 2
    err = capsys.readouterr().err
    assert "channels.chat.url: no apprise service is called 'jsn://' (did you mean 'json://'?)" in err
    assert "abcdef123456" not in err
