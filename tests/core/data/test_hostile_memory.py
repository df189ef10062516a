"""Memory stays bounded on lying headers and gzip bombs: enforced, not just measured.

``inspect --json`` and ``load_case`` run in a child process whose address space is
capped with ``RLIMIT_AS`` (1.5 GB): a reader that believed a header claiming 3 GB, or
inflated a 1 GiB bomb, would die of MemoryError there (a traceback, or a crashed
child). They must instead report each damaged case in one line and keep the good case,
with a peak resident size under 1 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lrpstudio.core.data.layouts import Release, case_file_name
from tests.brats_factory import write_case
from tests.core.data import hostile_corpus as corpus

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="RLIMIT_AS and /proc/self/status are Linux's")

ADDRESS_SPACE_LIMIT = 1536 * 2**20
PEAK_RSS_LIMIT_MB = 1024

_CHILD = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from lrpstudio.cli.main import main
    from lrpstudio.core.data.loading import load_case
    from lrpstudio.core.errors import LrpStudioError
    root = sys.argv[1]
    rc = main(["inspect", "--json", root])
    loads = {{}}
    for case in sys.argv[2:]:
        try:
            load_case(root + "/" + case)
            loads[case] = "ok"
        except LrpStudioError as error:
            loads[case] = str(error)
    # VmHWM: this process's own peak (ru_maxrss carries the parent's peak over exec).
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    peak = int(status["VmHWM"].split()[0]) / 1024
    print(json.dumps({{"rc": rc, "loads": loads, "peak_mb": peak}}), file=sys.stderr)
""")


def _damage(root: Path, case_id: str, kind: str, maker: corpus.Maker) -> Path:
    write_case(root, Release.BRATS2021, case_id, grade="HGG")
    path = root / case_id / case_file_name(Release.BRATS2021, case_id, kind)
    path.unlink()
    return maker(path)


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "data"
    write_case(root, Release.BRATS2021, "BraTS2021_00001", grade="HGG")
    _damage(root, "BraTS2021_00002", "flair", corpus.gzip_bomb)          # 1 GiB claimed
    _damage(root, "BraTS2021_00003", "t1", corpus.lying_dims_gz)         # 3 GB claimed
    _damage(root, "BraTS2021_00004", "t2", lambda p: corpus.gzip_bomb(p, 512))  # 128 MiB, real
    _damage(root, "BraTS2021_00005", "t1ce", corpus.trailing_data_bomb)  # 64 MiB after the data
    return root


def test_inspect_and_load_stay_bounded_under_an_address_space_limit(hostile_root: Path) -> None:
    cases = ["BraTS2021_00001", "BraTS2021_00002", "BraTS2021_00003", "BraTS2021_00004",
             "BraTS2021_00005"]
    child = subprocess.run(
        [sys.executable, "-c", _CHILD.format(limit=ADDRESS_SPACE_LIMIT), str(hostile_root), *cases],
        capture_output=True, text=True, timeout=300)
    assert "Traceback" not in child.stderr and "MemoryError" not in child.stderr, child.stderr
    result = json.loads(child.stderr.strip().splitlines()[-1])
    assert child.returncode == 0 and result["rc"] == 0
    report = {case["id"]: case for case in json.loads(child.stdout)["cases"]}
    assert report["BraTS2021_00001"]["status"] == "ok"
    for case in cases[1:]:
        assert report[case]["status"] == "unusable", report[case]
        assert result["loads"][case] != "ok" and "\n" not in result["loads"][case]
    assert result["loads"]["BraTS2021_00001"] == "ok"
    problems = {case: " ".join(p["problem"] for p in report[case]["problems"]) for case in cases}
    assert "memory" in problems["BraTS2021_00002"]
    assert "far too small" in problems["BraTS2021_00003"]
    assert "shape differs" in problems["BraTS2021_00004"]  # read in full, then refused
    assert "more data than its header describes" in problems["BraTS2021_00005"]
    assert result["peak_mb"] < PEAK_RSS_LIMIT_MB, result
