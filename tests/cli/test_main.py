import pytest

from lrpstudio.cli.main import _normalise, build_parser, main


def test_no_subcommand_means_gui() -> None:
    assert _normalise([]) == ["gui"]
    assert _normalise(["some/folder"]) == ["gui", "some/folder"]
    assert _normalise(["inspect", "x"]) == ["inspect", "x"]


def test_help_and_version(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "lrpstudio" in capsys.readouterr().out
    assert build_parser().prog == "lrpstudio"


def test_one_command_builds_only_its_parser() -> None:
    parser = build_parser(only="inspect")
    actions = [a for a in parser._actions if a.dest == "command"]
    assert list(actions[0].choices) == ["inspect"]
