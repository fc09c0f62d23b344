"""A damaged study database is named, with how to recover it, and never "delete it" (#27, 5)."""

from synthetic_persona_chat import cli
from synthetic_persona_chat.annotate.commands import create_study


def test_results_on_a_damaged_study_name_the_file_and_the_recovery_never_deletion(tmp_path, study_config, capsys):
    create_study(tmp_path / "study", study_config)
    db = tmp_path / "study" / "study.sqlite"
    for side in db.parent.glob("study.sqlite-*"):
        side.unlink()  # the WAL files: only the main file is damaged
    data = bytearray(db.read_bytes())
    data[:100] = b"\x00garbage" * 12 + b"\x00" * 4  # the header: sqlite no longer sees a database
    db.write_bytes(bytes(data))
    code = cli.main(["annotate", "results", str(tmp_path / "study"), "--out", str(tmp_path / "out")])
    line = [x for x in capsys.readouterr().err.splitlines() if x.startswith("spc: ")][-1]
    assert code == 8, line
    assert str(db) in line and "keep it" in line and "backup" in line and ".recover" in line
    assert "delete" not in line.lower()
    assert db.read_bytes() == bytes(data)  # nothing touched the damaged file
