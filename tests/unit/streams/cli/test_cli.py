import pytest
from click.testing import CliRunner

from streams.cli.main import main

COMMANDS = ["demo", "generate", "worker", "replay", "scores", "inspect", "tail", "services"]


def test_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", [["worker"], ["scores"], ["inspect", "C1"]])
def test_commands_that_need_services_say_which_setting_is_missing(command, monkeypatch):
    for name in ("CHURNWATCH_KAFKA_URL", "CHURNWATCH_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1
    assert "is not set" in result.output and "churnwatch services" in result.output


def test_invalid_setting_is_reported_with_its_name(monkeypatch):
    monkeypatch.setenv("CHURNWATCH_HORIZON_DAYS", "soon")
    result = CliRunner().invoke(main, ["scores"])
    assert result.exit_code == 1 and "horizon_days" in result.output


def test_as_of_without_zone_is_refused(monkeypatch):
    monkeypatch.setenv("CHURNWATCH_REDIS_URL", "redis://127.0.0.1:1/0")
    result = CliRunner().invoke(main, ["scores", "--as-of", "2025-01-01T00:00:00"])
    assert result.exit_code == 2 and "has no zone" in result.output


def test_generate_writes_events(tmp_path):
    out = tmp_path / "g.jsonl"
    result = CliRunner().invoke(
        main, ["generate", "--customers", "5", "--days", "60", "--out", str(out)]
    )
    assert result.exit_code == 0
    assert out.read_text().count("\n") > 5


@pytest.mark.parametrize(
    ("command", "complaint"),
    [
        (["demo", "--customers", "-5"], "--customers"),
        (["demo", "--days", "0"], "--days"),
        (["generate", "--customers", "0", "--out", "x.jsonl"], "--customers"),
        (["replay", "README.md", "--rate", "0"], "--rate"),
        (["demo", "--input", "no-such-file.jsonl"], "--input"),
    ],
)
def test_nonsense_arguments_exit_non_zero_with_one_line_saying_what_is_wrong(command, complaint):
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and complaint in errors[0]


def test_version_is_printed():
    result = CliRunner().invoke(main, ["--version"], prog_name="churnwatch")
    assert result.exit_code == 0 and result.output.startswith("churnwatch ")


def test_an_input_with_nothing_valid_says_so_and_fails(tmp_path):
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(b'not json\n\n{"x": 1}\n   \n')
    result = CliRunner().invoke(main, ["demo", "--in-process", "--input", str(path), "--json"])
    assert result.exit_code == 1
    assert "no valid event was read" in result.output
    assert "1 malformed_json, 1 missing_type" in result.output
    assert '"blank_lines": 2' in result.output
