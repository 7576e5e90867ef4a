"""Bahasa Indonesia: every UI string translated, the compiled catalogue current, pages rendered per language."""

import ast
import datetime as dt
import gettext as gettext_module
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation.template import templatize

from .factories import bilingual_summit

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale/id/LC_MESSAGES/django.po"
MO = ROOT / "locale/id/LC_MESSAGES/django.mo"


@pytest.fixture(autouse=True)
def _back_to_english():
    # LocaleMiddleware leaves the last request's language active in this thread; later tests expect English.
    yield
    translation.activate(settings.LANGUAGE_CODE)


GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}


def parse_po(path):
    """{(context, msgid): (msgid_plural, [msgstr...], fuzzy)} for every live entry of a .po file."""
    entries = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        if not lines:
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields, current = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            else:
                fields[current] += ast.literal_eval(line)
        if "msgid" not in fields:
            continue
        strs = [value for key, value in sorted(fields.items()) if key.startswith("msgstr")]
        entries[(fields.get("msgctxt"), fields["msgid"])] = (fields.get("msgid_plural"), strs, fuzzy)
    return entries


def template_strings(path):
    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    literal = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    for name, args in re.findall(rf"\b(n?p?gettext)\(((?:\s*{literal}\s*,?)+)", source):
        values = [ast.literal_eval(token) for token in re.findall(literal, args)]
        yield (values[0], values[1]) if name.startswith(("pgettext", "npgettext")) else (None, values[0])


def python_strings(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in GETTEXT_NAMES:
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name.startswith("pgettext") and len(args) >= 2:
                yield args[0], args[1]
            elif args:
                yield None, args[0]


def test_every_catalogue_entry_is_translated_and_not_fuzzy():
    entries = parse_po(PO)
    untranslated = [key for key, (_plural, strs, fuzzy) in entries.items() if key[1] and (fuzzy or not all(strs))]
    assert len(entries) > 300
    assert untranslated == []


def test_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as handle:
        compiled = gettext_module.GNUTranslations(handle)
    stale = []
    for (context, msgid), (plural, strs, _fuzzy) in parse_po(PO).items():
        if not msgid:
            continue
        if plural:
            got = compiled.npgettext(context, msgid, plural, 1) if context else compiled.ngettext(msgid, plural, 1)
        else:
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
        if got != strs[0]:
            stale.append(msgid)
    assert stale == []


def test_every_ui_string_is_in_the_catalogue():
    entries = parse_po(PO)
    wanted = set()
    for template in (ROOT / "events/templates").rglob("*.html"):
        wanted.update(template_strings(template))
    for module in (ROOT / "events").rglob("*.py"):
        if "migrations" not in module.parts:
            wanted.update(python_strings(module))
    assert len(wanted) > 300
    assert sorted(key for key in wanted if key not in entries) == []


@pytest.fixture
def summit_in_two_languages(db):
    return bilingual_summit(slug="summit", plenary_day=dt.date(2030, 4, 26))


def test_indonesian_page_shows_indonesian_titles_labels_and_dates(client, summit_in_two_languages):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    body = client.get("/meetings/summit/").content.decode()
    assert '<html lang="id">' in body
    assert "<h1>KTT ASEAN ke-32</h1>" in body
    assert '<a href="/series/asean-summit/">KTT ASEAN</a>' in body
    assert "25 April 2030 – 28 April 2030" in body
    assert "Jumat, 26 April 2030" in body
    assert "09.00–11.00" in body
    assert "Sesi Pleno" in body
    assert '<span class="badge mode mode-in_person">Tatap muka</span>' in body
    assert ">Jadwal</h2>" in body
    assert "32nd ASEAN Summit" not in body.split("</head>")[1]


def test_english_page_shows_english_titles_and_dates(client, summit_in_two_languages):
    body = client.get("/meetings/summit/").content.decode()
    assert "<h1>32nd ASEAN Summit</h1>" in body
    assert "April 25, 2030 – April 28, 2030" in body
    assert "Friday, 26 April 2030" in body
    assert "09:00–11:00" in body
    assert '<span class="badge mode mode-in_person">In person</span>' in body


def test_filter_form_labels_and_choices_in_indonesian(client, summit_in_two_languages):
    body = client.get("/meetings/", headers={"Accept-Language": "id"}).content.decode()
    assert "<legend>Seri</legend>" in body
    assert '<span class="facet-label">KTT ASEAN</span> <span class="count">(1)</span>' in body
    assert '<span class="facet-label">Tatap muka</span> <span class="count">(1)</span>' in body
    assert '<optgroup label="Negara anggota ASEAN"><option value="SG">Singapore (1)</option>' in body
    assert "1 pertemuan" in body
    assert "Langganan di aplikasi kalender Anda" in body


def test_bad_filter_message_in_indonesian(client, summit_in_two_languages):
    response = client.get("/meetings/?from=2030-05-01&to=2030-01-01", headers={"Accept-Language": "id"})
    assert response.status_code == 400
    assert "Akhir rentang tanggal lebih awal dari awalnya." in response.content.decode()


def test_language_switch_remembers_indonesian(client, summit_in_two_languages):
    response = client.post("/i18n/setlang/", {"language": "id", "next": "/meetings/summit/"})
    assert response.status_code == 302
    assert response["Location"] == "/meetings/summit/"
    assert "<h1>KTT ASEAN ke-32</h1>" in client.get("/meetings/summit/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "<h1>32nd ASEAN Summit</h1>" in client.get("/meetings/summit/").content.decode()


def test_calendar_month_name_and_weekdays_in_indonesian(client, summit_in_two_languages):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    body = client.get("/calendar/2030/4/").content.decode()
    assert "<h1>April 2030</h1>" in body
    # Indonesian weeks start on Monday.
    assert re.findall(r'<abbr title="(\w+)">', body)[:2] == ["Senin", "Selasa"]
    assert "Pekan KTT ASEAN ke-32" not in body  # no related meetings: no timeline
