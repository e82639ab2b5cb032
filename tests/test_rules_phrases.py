"""Multi-word Russian and Ukrainian names inflect as phrases: their words are found in every case, in
agreement, and an alert names the alias with the form found. Unit level, `rules test` on local pages,
and a whole crawl to a webhook."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.matching import new_alerts
from monitor.render import render_body
from monitor.sites import SiteServer
from newswatch import yamlsource
from rules.matcher import Document, Matcher
from rules.morphology import word_forms
from rules.ruleset import load_rules
from storage.deliveries import OutgoingAlert
from tests.helpers import write_config

SITE = Path(__file__).parent / "fixtures" / "phrases"
PAGES = SITE / "news" / "2023" / "06"

RULES = """
entities:
  rdk:
    aliases: ["Русский добровольческий корпус", "Російський добровольчий корпус", "Russian Volunteer Corps"]
  legion:
    aliases: ["Легион «Свобода России»", "легіон «Свобода Росії»"]
watches:
  - id: rdk
    name: Russian Volunteer Corps
    any: [rdk]
  - id: legion
    name: Freedom of Russia Legion
    any: [legion]
  - id: defence-ministry
    any: ["Министерство обороны России", "Илья Пономарёв"]
"""


@pytest.fixture(scope="module")
def matcher(tmp_path_factory) -> Matcher:
    folder = tmp_path_factory.mktemp("rules")
    (folder / "phrases.yaml").write_text(RULES, encoding="utf-8")
    return Matcher(load_rules(["phrases.yaml"], folder))


def found(matcher: Matcher, text: str) -> dict[str, list[str]]:
    """Watch id → the text of each hit, for the watches that match."""
    return {r.watch.id: [h.found for h in r.hits] for r in matcher.match(Document("", text))}


@pytest.mark.parametrize(("text", "form"), [
    ("Ответственность взяли бойцы Русского добровольческого корпуса.", "Русского добровольческого корпуса"),  # genitive
    ("Губернатор пригрозил Русскому добровольческому корпусу.", "Русскому добровольческому корпусу"),  # dative
    ("Власти называют Русский добровольческий корпус террористами.", "Русский добровольческий корпус"),  # accusative
    ("Рейд связали с Русским добровольческим корпусом.", "Русским добровольческим корпусом"),  # instrumental
    ("Об этом сообщили в Русском добровольческом корпусе.", "Русском добровольческом корпусе"),  # prepositional
    ("Про рейд повідомили бійці Російського добровольчого корпусу.", "Російського добровольчого корпусу"),  # genitive (uk)
    ("Рейд пов'язують із Російським добровольчим корпусом.", "Російським добровольчим корпусом"),  # instrumental (uk)
    ("Про це сказали в Російському добровольчому корпусі.", "Російському добровольчому корпусі"),  # locative (uk)
    ("Командир подякував Російському добровольчому корпусові.", "Російському добровольчому корпусові"),  # dative (uk)
])
def test_corps_is_found_in_every_case(matcher: Matcher, text: str, form: str) -> None:
    assert found(matcher, text) == {"rdk": [form]}


@pytest.mark.parametrize(("text", "form"), [
    ("Бойцы Легиона «Свобода России» вернулись.", "Легиона «Свобода России»"),
    ("С легионом «Свобода России» связались журналисты.", "легионом «Свобода России»"),
    ("Бойцы легиона «Свободы России» вернулись.", "легиона «Свободы России»"),  # the quoted name declined too
    ("Бійці легіону «Свобода Росії» повернулися.", "легіону «Свобода Росії»"),
    ("Разом із легіоном «Свобода Росії» діяли й інші.", "легіоном «Свобода Росії»"),
])
def test_head_noun_inflects_and_quoted_name_is_its_own(matcher: Matcher, text: str, form: str) -> None:
    assert found(matcher, text) == {"legion": [form]}


def test_complement_stays_as_written_and_names_agree(matcher: Matcher) -> None:
    assert found(matcher, "Запрос направили Министерству обороны России.") == {"defence-ministry": ["Министерству обороны России"]}
    assert found(matcher, "Письмо от Ильи Пономарёва пришло утром.") == {"defence-ministry": ["Ильи Пономарёва"]}
    assert found(matcher, "Министерству обороне России") == {}  # the complement `обороны` does not decline
    assert found(matcher, "Ильи Пономарёвым") == {}  # genitive first name, instrumental surname


@pytest.mark.parametrize("text", [
    "Русская добровольческая дружина перенесла архив в новый корпус.",  # the same words, another phrase
    "Русская добровольческий корпус",  # feminine adjective, masculine noun
    "Русским добровольческого корпуса",  # instrumental adjective, genitive noun
    "Российского добровольчого корпусу",  # a word of another name
    "Легион свободы Россией",
])
def test_non_agreeing_or_unrelated_phrases_do_not_match(matcher: Matcher, text: str) -> None:
    assert found(matcher, text) == {}


def test_single_words_still_inflect_and_derive() -> None:
    assert word_forms("Белгород").matches("белгородской") and word_forms("Белгород").matches("белгородцы")
    assert word_forms("Русский").matches("русского")  # the Russian dictionary knows it: not read as Ukrainian
    assert not word_forms("корпус").matches("корпусной")  # a common noun gets its own paradigm only


def test_alert_names_alias_and_form_found(matcher: Matcher) -> None:
    document = Document("Рейд у границы", "Бойцы Русского добровольческого корпуса заявили о рейде. "
                                          "Губернатор обвинил во всём Русский добровольческий корпус.")
    (result,) = matcher.match(document)
    assert result.matched == ["Русский добровольческий корпус («Русского добровольческого корпуса»)"]
    (alert,) = new_alerts(document, [result])
    outgoing = OutgoingAlert(1, 1, "chat", 0, alert.watch_id, alert.watch_name, alert.terms, alert.snippet, document.title,
                             "border", "http://127.0.0.1/a", None, dt.datetime.now(dt.timezone.utc))
    assert "Matched: Русский добровольческий корпус («Русского добровольческого корпуса»)" in render_body(outgoing)


def test_paradigm_tables_are_shared_between_words() -> None:
    """What keeps a Matcher of thousands of aliases small: one endings table per paradigm, not per word."""
    first, second = word_forms("Сидоров"), word_forms("Петров")
    assert first.stem != second.stem and first.endings is second.endings
    assert first.matches("сидоровым") and second.matches("петровской")  # derived forms without a table of their own


def test_yaml_loader_keeps_no_nodes_after_a_load(tmp_path: Path) -> None:
    (tmp_path / "phrases.yaml").write_text(RULES, encoding="utf-8")
    load_rules(["phrases.yaml"], tmp_path)
    assert yamlsource._SCALARS.constructed_objects == {}


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_rules_test_finds_oblique_cases_in_local_pages(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"chat": "json://127.0.0.1:9/x"}, rules=RULES)
    code, out = run(capsys, "--config", str(config), "rules", "test", str(PAGES / "ru-corps.html"))
    assert code == 0
    assert "MATCH  rdk (Russian Volunteer Corps)" in out
    assert "rdk: 'Русский добровольческий корпус' found «Русского добровольческого корпуса» in text" in out
    assert "rdk: 'Русский добровольческий корпус' found «Русским добровольческим корпусом» in text" in out
    assert "MATCH  legion (Freedom of Russia Legion)" in out
    assert "legion: 'Легион «Свобода России»' found «легиона «Свобода России»» in text" in out

    code, out = run(capsys, "--config", str(config), "rules", "test", str(PAGES / "uk-corps.html"))
    assert code == 0
    assert "rdk: 'Російський добровольчий корпус' found «Російському добровольчому корпусі» in text" in out
    assert "rdk: 'Російський добровольчий корпус' found «Російського добровольчого корпусу» in text" in out
    assert "rdk: 'Російський добровольчий корпус' found «Російським добровольчим корпусом» in text" in out
    assert "legion: 'легіон «Свобода Росії»' found «легіону «Свобода Росії»» in text" in out

    code, out = run(capsys, "--config", str(config), "rules", "test", str(PAGES / "ru-unrelated.html"))
    assert code == 0 and "MATCH" not in out and "no  rdk" in out


def test_crawl_alerts_on_names_in_oblique_cases(tmp_path: Path, webhook) -> None:
    with SiteServer(SITE) as site:
        config = write_config(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", {}, {"chat": f"json://{webhook.netloc}/x"}, rules=RULES)
        data = config.read_text(encoding="utf-8").replace("outlets: []", f"outlets:\n- name: border\n  feeds: ['{site.url('/feed.xml')}']")
        config.write_text(data, encoding="utf-8")
        assert main(["--config", str(config), "crawl", "--once"]) == 0
    messages = [json.loads(body)["message"] for body in webhook.received]
    corps = sorted(m for m in messages if "Watch: Russian Volunteer Corps (rdk)" in m)
    assert len(corps) == 2 and not any("музею" in m for m in messages)
    assert any("Matched: Русский добровольческий корпус («Русского добровольческого корпуса», «Русским добровольческим корпусом»)" in m for m in corps)
    assert any("Matched: Російський добровольчий корпус («Російському добровольчому корпусі»" in m for m in corps)
    assert sum("Watch: Freedom of Russia Legion (legion)" in m for m in messages) == 2


def test_memory_bench_runs_and_prints_its_table() -> None:
    """A seconds-long smoke run of bench/rules_memory.py, so that the benchmark keeps working."""
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[1] / "bench" / "rules_memory.py"
    out = subprocess.run([sys.executable, str(bench), "--sizes", "10"], check=True, capture_output=True, text=True, timeout=120).stdout
    row = next(line.split() for line in out.splitlines() if line.split()[:1] == ["10"])
    assert row[1] == "40" and int(row[2]) >= 40  # 10 watches, 40 aliases, at least one spelling each
