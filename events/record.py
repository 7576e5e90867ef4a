"""The sourced record of ASEAN meetings: spreadsheets in fixtures/record/, loaded through the import resources.

The files are plain CSV a clerk can edit (one row a venue, meeting, outcome document or chairmanship; every
meeting and document row names its source). Loading only adds what the database lacks, matched on each
row's natural key, so it never overwrites data edited since, and loading twice changes nothing. The whole
load is one transaction: a bad row leaves the database as it was and names the file, line and field.
"""

from dataclasses import dataclass
from pathlib import Path

import tablib
from django.conf import settings
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import transaction
from import_export import fields, resources

from .models import Chairmanship, Meeting, OutcomeDocument, Venue
from .resources import MeetingResource, NaturalKeyWidget

RECORD_DIR = Path(settings.BASE_DIR) / "fixtures" / "record"
SEED_PATH = Path(settings.BASE_DIR) / "fixtures" / "seed.json"
# Rows of seed.json later corrected in the file (the 2018 documents' status, sources) are brought up to date
# in databases seeded before, but only while nobody has edited them since: their stamp is still the seed's.
SEED_REFRESHED = (Meeting, OutcomeDocument, Chairmanship)
# The record is a few hundred rows; anything far larger is not this file.
MAX_FILE_BYTES = 2_000_000


class RecordError(Exception):
    """A record file that cannot be loaded; nothing was written."""


class VenueResource(resources.ModelResource):
    class Meta:
        model = Venue
        import_id_fields = ["name", "city"]
        fields = ["name", "city", "country", "timezone"]
        clean_model_instances = True


class ChairmanshipResource(resources.ModelResource):
    class Meta:
        model = Chairmanship
        import_id_fields = ["body", "year"]
        fields = ["body", "year", "country", "note", "source_url"]
        clean_model_instances = True


class DocumentResource(resources.ModelResource):
    meeting = fields.Field(attribute="meeting", column_name="meeting", widget=NaturalKeyWidget(Meeting, field="slug"))

    class Meta:
        model = OutcomeDocument
        import_id_fields = ["meeting", "title"]
        fields = [
            "meeting", "title", "title_id", "kind", "status", "adopted_on", "url", "language", "source_url",
            "source_note",
        ]  # fmt: skip
        clean_model_instances = True


def _existing_venues():
    return set(Venue.objects.values_list("name", "city"))


def _venue_key(row):
    return (row["name"], row["city"])


def _existing_meetings():
    slugs = set(Meeting.objects.values_list("slug", flat=True))
    editions = {
        (series, str(ordinal))
        for series, ordinal in Meeting.objects.filter(ordinal__isnull=False).values_list("series__slug", "ordinal")
    }
    return slugs | editions


def _meeting_present(row, existing):
    # The same edition under another slug (entered by hand) is the same meeting: never add it twice.
    return row["slug"] in existing or (row["ordinal"] and (row["series"], row["ordinal"]) in existing)


def _existing_documents():
    return set(OutcomeDocument.objects.values_list("meeting__slug", "title"))


def _existing_chairs():
    return {(body, str(year)) for body, year in Chairmanship.objects.values_list("body", "year")}


@dataclass(frozen=True)
class RecordFile:
    name: str
    resource: type
    existing: object  # () -> set of natural keys already in the database
    present: object  # (row, existing) -> bool


FILES = (
    RecordFile("venues.csv", VenueResource, _existing_venues, lambda row, keys: _venue_key(row) in keys),
    RecordFile("meetings.csv", MeetingResource, _existing_meetings, _meeting_present),
    RecordFile(
        "documents.csv", DocumentResource, _existing_documents, lambda row, keys: (row["meeting"], row["title"]) in keys
    ),
    RecordFile(
        "chairmanships.csv",
        ChairmanshipResource,
        _existing_chairs,
        lambda row, keys: (row["body"], row["year"]) in keys,
    ),
)


def _read(path):
    if path.stat().st_size > MAX_FILE_BYTES:
        raise RecordError(f"{path.name}: larger than {MAX_FILE_BYTES} bytes; not a record file.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise RecordError(f"{path.name}: not UTF-8 text ({error.reason} at byte {error.start}).") from None
    return tablib.Dataset().load(text, format="csv")


def _errors(name, result):
    messages = []
    for line, row_errors in result.row_errors():
        messages.extend(f"{name} row {line}: {error.error}" for error in row_errors)
    for invalid in result.invalid_rows:
        for field, errors in invalid.error_dict.items():
            messages.extend(f"{name} row {invalid.number}: {field}: {error}" for error in errors)
    messages.extend(f"{name}: {error.error}" for error in result.base_errors)
    return messages


def load_record(*, directory=RECORD_DIR):
    """Add the rows of the record files the database lacks; return {file name: rows added}."""
    directory = Path(directory)
    added = {}
    with transaction.atomic():
        for record_file in FILES:
            dataset = _read(directory / record_file.name)
            existing = record_file.existing()
            missing = tablib.Dataset(headers=dataset.headers)
            for row in dataset.dict:
                if not record_file.present(row, existing):
                    missing.append([row[header] for header in dataset.headers])
            if missing.height:
                result = record_file.resource().import_data(missing, dry_run=False, use_transactions=False)
                if messages := _errors(record_file.name, result):
                    raise RecordError("\n".join(messages))
            added[record_file.name] = missing.height
    return added


def refresh_unedited_seed_rows(*, path=SEED_PATH):
    """Bring rows loaded from an older seed.json up to date, unless edited since; return how many changed."""
    refreshed = 0
    skip = {"id", "created", "updated", "revision"}
    with transaction.atomic():
        for loaded in serializers.deserialize("json", Path(path).read_text(encoding="utf-8"), ignorenonexistent=True):
            seeded = loaded.object
            if not isinstance(seeded, SEED_REFRESHED):
                continue
            model = type(seeded)
            current = model.objects.filter(pk=seeded.pk, updated=seeded.updated).first()
            if current is None:
                continue
            changed = [
                field.attname
                for field in model._meta.concrete_fields
                if field.attname not in skip and getattr(current, field.attname) != getattr(seeded, field.attname)
            ]
            if not changed:
                continue
            for name in changed:
                setattr(current, name, getattr(seeded, name))
            try:
                current.full_clean()
            except ValidationError:
                continue  # e.g. the corrected ordinal is taken by an edition entered by hand: leave the row be
            current.save()
            refreshed += 1
    return refreshed
