"""Reading the rich tables the CLI prints (rich's default style: a heavy header line, light body lines)."""

from __future__ import annotations


def cells(line: str, separator: str) -> list[str]:
    return [cell.strip() for cell in line.split(separator)[1:-1]]


def table_row(output: str, first_cell: str, first_header: str | None = None) -> dict[str, str]:
    """The cells, by column header, of the first row whose first cell is ``first_cell``, in the table whose
    first column is headed ``first_header`` (default: the first table printed)."""
    lines = output.splitlines()
    headers = next(cells(line, "┃") for line in lines
                   if line.startswith("┃") and first_header in (None, cells(line, "┃")[0]))
    row = next(cells(line, "│") for line in lines if line.startswith("│") and cells(line, "│")[0] == first_cell)
    return dict(zip(headers, row, strict=True))
