"""Slugs for any script, allocated in linear time.

Titles in Thai, Khmer, Burmese or Chinese have no ASCII letters for slugify to
keep; anyascii transliterates them first ("东盟峰会" -> "dongmengfenghui"). A
title that still yields nothing falls back to the caller's fallback (series
and year).

Uniqueness costs one query per distinct base: the slugs already taken with
that base (`base`, `base-2`, ...) are read once and the rest is counted in
memory, so importing 1,000 events with the same title is 1 query, not
1 + 2 + ... + 1,000.
"""

import re

from anyascii import anyascii
from django.utils.text import slugify

# Room for "-" and a five-digit counter within the field's max_length.
SUFFIX_ROOM = 6


def readable_slug(text, *, max_length=140):
    """A slug of `text` in ASCII, transliterated from whatever script it is in; "" if nothing is left."""
    return slugify(anyascii(text or ""))[:max_length].strip("-")


class SlugAllocator:
    """Hands out unique slugs of `model.<field>`; keep one per import so its memory spans the whole file."""

    def __init__(self, model, *, field="slug"):
        self.model = model
        self.field = field
        self.max_length = model._meta.get_field(field).max_length
        self._taken = {}  # base -> set of counters in use (1 for the bare base)
        self._next = {}

    def allocate(self, text, *, fallback):
        base = readable_slug(text, max_length=self.max_length - SUFFIX_ROOM) or readable_slug(
            fallback, max_length=self.max_length - SUFFIX_ROOM
        )
        base = base or self.model._meta.model_name
        if base not in self._taken:
            self._taken[base] = self._read_taken(base)
            self._next[base] = 1
        taken = self._taken[base]
        number = self._next[base]
        while number in taken:
            number += 1
        taken.add(number)
        self._next[base] = number + 1
        return base if number == 1 else f"{base}-{number}"

    def _read_taken(self, base):
        pattern = re.compile(rf"{re.escape(base)}(?:-(\d+))?")
        slugs = self.model._default_manager.filter(**{f"{self.field}__startswith": base}).values_list(
            self.field, flat=True
        )
        taken = set()
        for slug in slugs:
            match = pattern.fullmatch(slug)
            if match and (match.group(1) is None or int(match.group(1)) >= 2):
                taken.add(int(match.group(1)) if match.group(1) else 1)
        return taken


def unique_slug(model, text, *, fallback):
    """One unique slug for a single row (admin, API, duplicate edition)."""
    return SlugAllocator(model).allocate(text, fallback=fallback)
