"""Text from outside: which characters may enter, and how text leaves safely.

One rule for every entry (model field validators, which the admin forms, the
API serializers, the spreadsheet import and the iCalendar import all run):
no control characters but tab and newline (a browser's CR LF counts as a
newline). Outputs clean text again (`printable`) because rows written before
the rule, or by hand in the database, may still hold them: XML (Atom) and
XLSX cannot carry them at all.

Spreadsheet cells that begin with `=`, `+`, `-`, `@`, tab or CR are formulas
to Excel and LibreOffice (CSV injection). Exports prefix them with an
apostrophe (the OWASP rule) and imports remove it again, so a round trip
restores the text exactly.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# C0 controls but tab, LF and the CR of a CR LF; DEL and the C1 controls; lone surrogates (which cannot be
# encoded to UTF-8, so no database or output could hold them); the two non-characters XML forbids.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]|\r(?!\n)")


@deconstructible
class NoControlCharactersValidator:
    message = _(
        "Control characters are not allowed (found %(code)s at position %(position)s); "
        "only tab and line breaks may be used."
    )
    code = "control_characters"

    def __call__(self, value):
        if not isinstance(value, str):
            return
        match = CONTROL_CHARACTERS.search(value)
        if match:
            raise ValidationError(
                self.message,
                code=self.code,
                params={"code": f"U+{ord(match.group()[0]):04X}", "position": match.start() + 1},
            )

    def __eq__(self, other):
        return isinstance(other, NoControlCharactersValidator)


no_control_characters = NoControlCharactersValidator()


def printable(value):
    """`value` without the characters entry refuses; other values pass through unchanged."""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        return CONTROL_CHARACTERS.sub("", value)
    return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"


def spreadsheet_cell(value):
    """A cell value safe to open in a spreadsheet program; `from_spreadsheet_cell` restores it."""
    value = printable(value)
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, FORMULA_ESCAPE)):
        # Text that already starts with an apostrophe gets one more, so the import's single removal is exact.
        if value.startswith(FORMULA_ESCAPE) and not value.lstrip(FORMULA_ESCAPE).startswith(FORMULA_STARTS):
            return value
        return FORMULA_ESCAPE + value
    return value


def from_spreadsheet_cell(value):
    """The text an exported cell stood for (undoes `spreadsheet_cell`); other cells are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_ESCAPE):
        rest = value[1:]
        if rest.lstrip(FORMULA_ESCAPE).startswith(FORMULA_STARTS):
            return rest
    return value
