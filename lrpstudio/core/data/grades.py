"""Grade tables: which case is HGG and which is LGG.

BraTS states grades three ways, and lrpstudio reads all of them:

- 2018/2019: the case folder sits under ``HGG/`` or ``LGG/`` (:func:`grade_from_folder`);
- 2020: ``name_mapping.csv`` with columns ``Grade`` and ``BraTS_2020_subject_ID``;
- 2021 and 2023+: nothing; the user supplies a CSV ``case,grade`` (``--grades FILE``),
  and a ``grades.csv`` in the data root is picked up by itself.

A grade cell that is empty (or ``NA``/``unknown``) leaves the case unlabelled; any other
value than HGG/LGG is a :class:`~lrpstudio.core.errors.GradeError` naming the file and line.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from lrpstudio.core.data.file_checks import regular_file_size
from lrpstudio.core.errors import GradeError, VolumeReadError

GRADE_VALUES: tuple[str, ...] = ("HGG", "LGG")
NAME_MAPPING_FILE = "name_mapping.csv"
GRADES_FILE = "grades.csv"
#: Cells that mean "no grade known" rather than a mistake.
_UNLABELLED = frozenset({"", "na", "n/a", "nan", "none", "unknown", "?"})
_CASE_COLUMNS = ("case", "case_id", "id", "subject", "subject_id", "brats_2020_subject_id")
_GRADE_COLUMNS = ("grade",)
#: A grade table lists a few thousand cases at most: a bigger file is something else.
MAX_TABLE_BYTES = 16 << 20


@dataclass(frozen=True)
class GradeTable:
    """Case id -> ``"HGG"`` / ``"LGG"``, with the file it came from.

    ``unlabelled`` holds the ids the table lists without a grade.
    """

    grades: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: Path | None = None
    unlabelled: frozenset[str] = frozenset()

    def get(self, case_id: str) -> str | None:
        """The grade of ``case_id``, or None when the table does not give one."""
        return self.grades.get(case_id)

    def __contains__(self, case_id: object) -> bool:
        return case_id in self.grades or case_id in self.unlabelled

    def __len__(self) -> int:
        return len(self.grades)


def normalise_grade(value: str, path: Path | None = None, line: int | None = None) -> str | None:
    """``"HGG"``, ``"LGG"`` or None (unlabelled) for a grade cell.

    Raises
    ------
    GradeError
        For any other value, naming ``path`` and ``line``.
    """
    text = value.strip()
    if text.lower() in _UNLABELLED:
        return None
    upper = text.upper()
    if upper in GRADE_VALUES:
        return upper
    where = f"line {line}: " if line is not None else ""
    raise GradeError(f"{where}unknown grade {text!r}", path, expected="HGG or LGG", actual=text)


def grade_from_folder(name: str) -> str | None:
    """The grade a 2018/2019 parent folder states (``HGG``/``LGG``, any case), else None."""
    upper = name.upper()
    return upper if upper in GRADE_VALUES else None


def _table_text(path: Path) -> str:
    """The text of a grade table: a regular, small, UTF-8 (or UTF-16 with BOM) file."""
    try:
        size = regular_file_size(path)
    except VolumeReadError as error:
        problem = "grade table does not exist" if error.problem == "file does not exist" \
            else f"grade table {error.problem}"
        raise GradeError(problem, path) from error
    if size > MAX_TABLE_BYTES:
        raise GradeError("is too large for a grade table", path,
                         expected=f"at most {MAX_TABLE_BYTES} bytes", actual=f"{size} bytes")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise GradeError(f"grade table cannot be read ({error.strerror or error})", path) from error
    return _decode(data, path)


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 (BOM optional) or UTF-16 with a BOM, as spreadsheets write "Unicode text"."""
    encoding = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise GradeError(
            f"is not a text grade table: byte 0x{data[error.start]:02x} at offset {error.start} "
            f"is not {error.encoding.upper().replace('-SIG', '')} (save it as UTF-8 CSV)",
            path) from error
    if "\x00" in text:
        raise GradeError("is not a text grade table: it holds NUL bytes (binary data, or "
                         "UTF-16 without a byte-order mark; save it as UTF-8 CSV)", path)
    return text


def _read_rows(path: Path) -> list[list[str]]:
    """All rows of a small CSV (``,`` ``;`` or tab separated; a UTF-8 BOM is fine)."""
    text = _table_text(path)
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # one column or an odd file: let the row checks report it
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return [row for row in reader if any(c.strip() for c in row)]
    except csv.Error as error:
        # The csv module refuses a cell over 128 KB (its field_size_limit) and some
        # broken quoting: no grade table has such cells.
        reason = (f"a cell is longer than {csv.field_size_limit()} characters"
                  if "field limit" in str(error) else f"not a readable CSV row ({error})")
        raise GradeError(f"line {reader.line_num}: {reason}", path) from error


def _find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _collect(rows: list[tuple[int, str, str]], path: Path) -> GradeTable:
    """Build a table from ``(line, case, grade cell)``; conflicting duplicates are errors."""
    grades: dict[str, str] = {}
    unlabelled: set[str] = set()
    for line, case, cell in rows:
        case = case.strip()
        if not case:
            raise GradeError(f"line {line}: empty case id", path)
        grade = normalise_grade(cell, path, line)
        if grade is None:
            unlabelled.add(case)
            continue
        if grades.get(case, grade) != grade:
            raise GradeError(f"line {line}: case {case} is listed twice with different grades",
                             path, expected=grades[case], actual=grade)
        grades[case] = grade
    return GradeTable(MappingProxyType(grades), path, frozenset(unlabelled - set(grades)))


def read_grades_csv(path: str | Path) -> GradeTable:
    """Read a ``case,grade`` CSV (header optional; extra columns are ignored).

    A header row is recognised by its column names (``case``/``id``/``subject`` and
    ``grade``); without one, the first column is the case and the second the grade.
    """
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise GradeError("grade table is empty", path, expected="rows of case,grade")
    case_col, grade_col = _find_column(rows[0], _CASE_COLUMNS), _find_column(rows[0], _GRADE_COLUMNS)
    start = 1
    if case_col is None or grade_col is None:
        case_col, grade_col, start = 0, 1, 0
    entries: list[tuple[int, str, str]] = []
    for line, row in enumerate(rows[start:], start=start + 1):
        if len(row) <= max(case_col, grade_col):
            raise GradeError(f"line {line}: expected the columns case,grade", path,
                             expected=max(case_col, grade_col) + 1, actual=len(row))
        entries.append((line, row[case_col], row[grade_col]))
    return _collect(entries, path)


def read_name_mapping(path: str | Path) -> GradeTable | None:
    """Read BraTS 2020's ``name_mapping.csv``; None when it has no ``Grade`` column.

    (The 2020 validation set's mapping has no grades; that is not an error.)
    """
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        return None
    grade_col = _find_column(rows[0], _GRADE_COLUMNS)
    case_col = _find_column(rows[0], ("brats_2020_subject_id",))
    if grade_col is None:
        return None
    if case_col is None:
        raise GradeError("name_mapping.csv has no BraTS_2020_subject_ID column", path,
                         expected="BraTS_2020_subject_ID", actual=",".join(rows[0]))
    entries = [(line, row[case_col], row[grade_col])
               for line, row in enumerate(rows[1:], start=2)
               if len(row) > max(case_col, grade_col)]
    return _collect(entries, path)


def find_grade_tables(root: str | Path) -> list[GradeTable]:
    """The grade tables found by themselves in a data root (name_mapping.csv, grades.csv).

    ``name_mapping.csv`` may also sit one folder down (``MICCAI_BraTS2020_TrainingData/``).
    """
    root = Path(root)
    if not root.is_dir():
        return []
    tables: list[GradeTable] = []
    candidates = [root / NAME_MAPPING_FILE] + sorted(root.glob(f"*/{NAME_MAPPING_FILE}"))
    for candidate in candidates:
        if candidate.is_file():
            table = read_name_mapping(candidate)
            if table is not None:
                tables.append(table)
    if (root / GRADES_FILE).is_file():
        tables.append(read_grades_csv(root / GRADES_FILE))
    return tables


def merge_tables(tables: list[GradeTable]) -> GradeTable:
    """One table from several; a later table wins where two disagree."""
    merged: dict[str, str] = {}
    unlabelled: set[str] = set()
    for table in tables:
        merged.update(table.grades)
        unlabelled |= table.unlabelled
    source = tables[-1].source if tables else None
    return GradeTable(MappingProxyType(merged), source, frozenset(unlabelled - set(merged)))
