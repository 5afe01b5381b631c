"""docs/states.md and the `states-doc` command that writes it from the state machines in the code."""

from pathlib import Path

from cade.core.states import describe_machines

DOC = Path(__file__).resolve().parents[2] / "docs" / "states.md"


def test_docs_states_md_is_what_the_code_declares(app):
    assert DOC.read_text(encoding="utf-8") == describe_machines(), (
        "docs/states.md is stale: run `flask --app wsgi states-doc` and commit the result"
    )


def test_the_command_writes_the_document_and_checks_it(app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "states.md"

    checked = runner.invoke(args=["states-doc", "--check", "--out", str(out)])
    assert checked.exit_code != 0 and "stale" in checked.output  # nothing written yet

    written = runner.invoke(args=["states-doc", "--out", str(out)])
    assert written.exit_code == 0 and f"Wrote {out}." in written.output
    assert out.read_text(encoding="utf-8") == describe_machines()
    assert "## application" in out.read_text(encoding="utf-8")

    assert runner.invoke(args=["states-doc", "--check", "--out", str(out)]).exit_code == 0
    out.write_text("# States\n\nhand-edited\n", encoding="utf-8")
    assert runner.invoke(args=["states-doc", "--check", "--out", str(out)]).exit_code != 0
