"""Atomic writes: the file is the new one in full, or the old one, and no temporary is left."""

from __future__ import annotations

import pytest

from rmfer.files import partial_path, replace_atomically, write_atomically


def test_text_and_bytes_land_whole_and_replace_the_old(tmp_path):
    target = tmp_path / "record.json"
    assert write_atomically(target, "ünïcode") == target
    assert target.read_text("utf-8") == "ünïcode"
    write_atomically(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "table.parquet"
    target.write_bytes(b"old")

    def half_then_fail(partial):
        partial.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_atomically(target, half_then_fail)
    assert target.read_bytes() == b"old"
    assert not partial_path(target).exists()
    assert partial_path(target).name == ".table.parquet.partial"
