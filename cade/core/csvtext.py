"""Text that a spreadsheet program opens as text: the one guard against CSV formula injection, for every CSV we write.

A cell that starts with = + - @ (or a tab or carriage return) is run as a
formula by Excel and LibreOffice when the file is opened; an applicant could
type one. Such a cell is written with a leading apostrophe, which both read as
"this is text" and do not show.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text
