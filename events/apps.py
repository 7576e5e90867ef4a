import os
import sys

from django.apps import AppConfig
from django.conf import settings
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate, pre_save
from django.utils.translation import gettext_lazy as _


def _drop_triggers(sender, using="default", **kwargs):
    from .triggers import drop_triggers

    drop_triggers(connections[using])


def _create_triggers(sender, using="default", **kwargs):
    from .triggers import create_triggers

    create_triggers(connections[using])


def _create_missing_roles(sender, using="default", **kwargs):
    # `flush` (and so every transactional test) empties the groups the migration made.
    from .roles import create_missing_roles

    create_missing_roles(using=using)


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("ASEAN meetings")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        pre_migrate.connect(_drop_triggers, sender=self, dispatch_uid="events_drop_triggers")
        post_migrate.connect(_create_triggers, sender=self, dispatch_uid="events_create_triggers")
        post_migrate.connect(_create_missing_roles, sender=self, dispatch_uid="events_create_missing_roles")
        from .access import guard_save

        for name in ("Meeting", "Session", "OutcomeDocument", "Delegation", "DelegationMember"):
            pre_save.connect(guard_save, sender=self.get_model(name), dispatch_uid=f"events_access_guard_{name}")

        from . import alerts  # noqa: F401 - connects the change capture

        # `make run`: runserver's serving process (not the autoreloader's parent) also works the task queue.
        serving = "runserver" in sys.argv and (os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv)
        if settings.ALERTS_EMBEDDED_WORKER and serving:
            alerts.start_embedded_worker()
