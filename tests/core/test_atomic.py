import stat

import pytest

from lrpstudio.core.atomic import atomic_write, atomic_write_text


def test_replaces_content_and_keeps_readable_mode(tmp_path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "one")
    assert target.read_text() == "one"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    target.chmod(0o640)
    atomic_write_text(target, "two")
    assert target.read_text() == "two" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "b.bin"
    atomic_write_text(target, "old")

    def boom(handle) -> None:
        handle.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin"]


def _temporaries(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_writer_killed_mid_write_leaves_the_old_file_and_the_next_write_cleans_up(tmp_path) -> None:
    from tests.os_faults import kill_when_ready, python_child

    target, marker = tmp_path / "metrics.csv", tmp_path / "writing"
    atomic_write_text(target, "epoch\n1\n")
    child = python_child(
        "import time, pathlib\nfrom lrpstudio.core.atomic import atomic_write\n"
        "def stall(handle):\n    handle.write(b'epoch\\n1\\n2'); handle.flush()\n"
        f"    pathlib.Path({str(marker)!r}).touch(); time.sleep(600)\n"
        f"atomic_write({str(target)!r}, stall)\n")
    kill_when_ready(child, marker)
    assert target.read_text() == "epoch\n1\n" and len(_temporaries(tmp_path)) == 1
    atomic_write_text(target, "epoch\n1\n2\n")
    assert target.read_text() == "epoch\n1\n2\n" and _temporaries(tmp_path) == []


def test_a_live_writers_temporary_is_left_alone(tmp_path) -> None:
    import os

    from lrpstudio.core.atomic import remove_stale_temporaries, temporary_prefix

    target = tmp_path / "config.json"
    live = tmp_path / f"{temporary_prefix(target.name)}{os.getppid()}.abcd1234.tmp"
    dead = tmp_path / f"{temporary_prefix(target.name)}999999999.abcd1234.tmp"
    live.write_bytes(b"x")
    dead.write_bytes(b"x")
    assert remove_stale_temporaries(target) == [dead]
    assert live.exists() and not dead.exists()


def test_a_name_whose_temporary_would_pass_255_bytes_is_written(tmp_path) -> None:
    target = tmp_path / ("é" * 120 + "_seg.nii.gz")  # 251 bytes: fits; its old temp name did not
    seen: list[int] = []
    atomic_write(target, lambda handle: seen.extend(len(p.name.encode()) for p in tmp_path.iterdir()))
    assert target.is_file() and seen and max(seen) <= 255


def test_a_name_over_255_bytes_is_one_line_naming_it(tmp_path) -> None:
    import errno

    from lrpstudio.core.errors import StorageError

    target = tmp_path / ("c" * 250 + "_seg.nii.gz")
    with pytest.raises(StorageError) as info:
        atomic_write_text(target, "x")
    assert info.value.errno == errno.ENAMETOOLONG and info.value.exit_code == 2
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(target)) and "shorter" in message
    assert _temporaries(tmp_path) == []


def test_a_full_disk_at_the_write_boundary_keeps_the_old_file(tmp_path) -> None:
    import errno

    from lrpstudio.core.errors import StorageError

    target = tmp_path / "last.pt"
    atomic_write_text(target, "old")

    def full(handle) -> None:  # what the OS answers once the device is full
        handle.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as info:  # still an OSError for callers that expect one
        atomic_write(target, full)
    assert isinstance(info.value, StorageError) and "no space left" in str(info.value)
    assert target.read_text() == "old" and _temporaries(tmp_path) == []


def test_full_and_read_only_disks_are_one_line_with_what_to_do(tmp_path) -> None:
    from tests.os_faults import run_on_small_disk

    disk = tmp_path / "disk"
    code = ("import sys\nfrom lrpstudio.core.atomic import atomic_write\n"
            "from lrpstudio.core.errors import StorageError\n"
            "try:\n"
            f"    atomic_write({str(disk / 'big.bin')!r}, lambda h: h.write(bytes(1 << 20)))\n"
            "except StorageError as e:\n    print(e.message())\n"
            f"    sys.exit(4 if __import__('os').listdir({str(disk)!r}) else 0)\n"  # no temp left
            "sys.exit(3)\n")
    full = run_on_small_disk(disk, code)
    assert full.returncode == 0, full.stderr
    assert full.stdout.strip() == (f"{disk / 'big.bin'}: cannot write: no space left on the device; "
                                   "free some space or choose another folder")
    read_only = run_on_small_disk(disk, code, readonly=True)
    assert read_only.returncode == 0, read_only.stderr
    assert "read-only file system; choose a folder on a writable disk" in read_only.stdout
