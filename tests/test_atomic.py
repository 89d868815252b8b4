"""Files are replaced whole or not at all."""

import pytest

from mict.atomic import atomic_path


def test_a_finished_write_replaces_the_file(tmp_path):
    target = tmp_path / "results.json"
    target.write_text("old")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name == ".results.json.tmp"
        tmp.write_text("new")
        assert target.read_text() == "old"  # readers still see the old file mid-write
    assert target.read_text() == "new" and not tmp.exists()


def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "figure.png"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target, suffix=".tmp.png") as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.png"]
