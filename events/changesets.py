"""Change sets: which history records were written together.

Every history record carries a `change_set` id shared by all records written
in the same atomic block. Django runs each delete, with everything it cascades
to, in an atomic block of its own, so the records of one delete are one change
set and a row deleted by an earlier delete is never in it; restoring a deleted
meeting (`events/recovery.py`) brings back exactly its change set.
"""

import uuid

from django.db import connections, models, router
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.signals import pre_create_historical_record


class ChangeSetRecord(models.Model):
    """Base of every historical model (`HistoricalRecords(bases=[ChangeSetRecord])`)."""

    change_set = models.UUIDField(_("change set"), null=True, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True


def current_change_set(using):
    """The id of the innermost atomic block on `using`; outside any block, a fresh id (a change set of one)."""
    blocks = connections[using].atomic_blocks
    if not blocks:
        return uuid.uuid4()
    # Kept on the block object: a new block is a new object, so a new change set.
    return blocks[-1].__dict__.setdefault("history_change_set", uuid.uuid4())


@receiver(pre_create_historical_record)
def stamp_change_set(sender, history_instance, using=None, **kwargs):
    history_instance.change_set = current_change_set(using or router.db_for_write(sender))
