"""Who may see, change, delete, publish, import and export what: the one access policy.

Every door asks here: pages, feeds, sitemap and JSON-LD (what is visible),
the admin (querysets, object permissions, the `access` choices, foreign-key
choices and autocomplete, actions, history), the API (querysets, serializers,
permissions), spreadsheet and iCalendar imports, and document files.

Levels, lowest first: public, restricted, confidential. A session's level is
the higher of its own and its meeting's; a document's the highest of its
meeting's and its session's; a delegation's (and its members') its meeting's.

Roles are groups (events.roles); the policy reads only permissions, so an
administrator who adjusts a group changes what its members may do here:

- see: public for everyone; restricted with `view_restricted` (or staff);
  confidential with `view_confidential` (or superuser).
- change / delete / add: staff with the model permission, on items at a level
  they may see.
- publish (make an item public, or lower its level) and change an item's
  access level at all: `publish_meeting`. Whatever anyone else creates starts
  restricted, with a note of who may publish it.
- import: add and change permissions of the model; rows naming an item the
  user may not change are reported and not applied.
- export: the view permission; only the rows the user may see.

`POLICY_TABLE` renders this as the table the README carries (a test compares them).
"""

import bisect
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Access

LEVELS = [Access.PUBLIC, Access.RESTRICTED, Access.CONFIDENTIAL]
PUBLISH_NOTE = _("Only an editor (a role that may publish) can make it public.")
PUBLISH_REFUSED = _(
    "Only an editor may publish or lower an access level. Save it as restricted and ask an editor to publish it."
)
ADD_TO_PUBLIC_REFUSED = _(
    "Only an editor may add this to a public meeting, where it would be public at once. Add it while the "
    "meeting is restricted, or ask an editor."
)
NEW_ROWS_RESTRICTED_NOTE = _(
    "New rows without an access level are created as restricted: only an editor (a role that may publish) can "
    "make them public."
)
CREATED_RESTRICTED_NOTE = _("Created as restricted: only an editor (a role that may publish) can make it public.")
# Models whose rows carry (or inherit) an access level.
LEVELLED = {"meeting", "session", "outcomedocument", "delegation", "delegationmember"}


def rank(level):
    return LEVELS.index(level)


def highest(*levels):
    return max((level for level in levels if level), key=rank, default=Access.PUBLIC)


def _active(user):
    return user is not None and user.is_authenticated and user.is_active


# --- Seeing -------------------------------------------------------------------


def visible_levels(user):
    """Access levels `user` may see."""
    if not _active(user):
        return [Access.PUBLIC]
    return _levels(user, lambda codename: user.has_perm(f"events.{codename}"))


def _levels(user, has):
    levels = [Access.PUBLIC]
    if user.is_staff or has("view_restricted"):
        levels.append(Access.RESTRICTED)
    if user.is_superuser or has("view_confidential"):
        levels.append(Access.CONFIDENTIAL)
    return levels


def visible_levels_of(users):
    """{user pk: visible_levels(user)} for many users in two queries, whatever their number (alert fan-out).

    Reads the two seeing permissions as Django's model backend grants them: the user's own and their groups'.
    """
    from django.contrib.auth.models import Permission

    active = [user for user in users if _active(user)]
    granted = defaultdict(set)
    seeing = Permission.objects.filter(content_type__app_label="events", codename__in=SEEING_PERMISSIONS)
    ids = [user.pk for user in active]
    for user_id, codename in seeing.filter(user__in=ids).values_list("user", "codename"):
        granted[user_id].add(codename)
    for user_id, codename in seeing.filter(group__user__in=ids).values_list("group__user", "codename"):
        granted[user_id].add(codename)
    levels = {user.pk: [Access.PUBLIC] for user in users}
    levels.update({user.pk: _levels(user, granted[user.pk].__contains__) for user in active})
    return levels


SEEING_PERMISSIONS = ("view_restricted", "view_confidential")


def can_see(user, level):
    return level in visible_levels(user)


def level_of(obj):
    """The effective access level of a meeting, session, document, delegation or delegate (public otherwise)."""
    name = obj._meta.model_name
    if name == "meeting" or name == "historicalmeeting":
        return obj.access
    if name in {"session", "historicalsession"}:
        return highest(obj.access, obj.meeting.access if obj.meeting_id else None)
    if name in {"outcomedocument", "historicaloutcomedocument"}:
        meeting = obj.meeting.access if obj.meeting_id else None
        session = obj.session.access if obj.session_id else None
        return highest(meeting, session)
    if name in {"delegation", "historicaldelegation"}:
        return obj.meeting.access if obj.meeting_id else Access.PUBLIC
    if name == "delegationmember":
        return obj.delegation.meeting.access if obj.delegation_id else Access.PUBLIC
    return Access.PUBLIC


def can_view(user, obj):
    return can_see(user, level_of(obj))


# Join links and passcodes let someone into a session: only signed-in users get them, and only for
# the sessions they may see. Pages, the API, history and alerts ask `sees_join_details`; feeds give
# them in personal feeds only, which are read by their signed-in owner.
JOIN_FIELDS = ("join_url", "join_passcode")


def sees_join_details(user):
    """Whether `user` gets the join links and passcodes of the sessions they may see."""
    return bool(user is not None and user.is_authenticated)


def visible(queryset, user):
    """`queryset` narrowed to the rows `user` may see (any levelled model; others unchanged)."""
    levels = visible_levels(user)
    if len(levels) == len(LEVELS):
        return queryset
    name = queryset.model._meta.model_name
    if name == "meeting":
        return queryset.filter(access__in=levels)
    if name == "session":
        return queryset.filter(access__in=levels, meeting__access__in=levels)
    if name == "outcomedocument":
        # A document's session belongs to its meeting (a trigger ensures it), so both levels are checked.
        return queryset.filter(meeting__access__in=levels).filter(
            Q(session__isnull=True) | Q(session__access__in=levels)
        )
    if name == "delegation":
        return queryset.filter(meeting__access__in=levels)
    if name == "delegationmember":
        return queryset.filter(delegation__meeting__access__in=levels)
    return queryset


def visible_history(records, user):
    """Historical records of a levelled model held at a level `user` may see (their own level at the time)."""
    levels = visible_levels(user)
    if len(levels) == len(LEVELS) or not hasattr(records.model, "access"):
        return records
    return records.filter(access__in=levels)


# --- History ------------------------------------------------------------------


class MeetingLevels:
    """Each meeting's (or, with `model`, session's) access level over time, from its history: what the
    record of a session, document or delegation was held under."""

    def __init__(self, rows, current=None):
        self.times, self.levels = defaultdict(list), defaultdict(list)
        for meeting_id, when, level in sorted(rows, key=lambda row: (row[0], row[1])):
            self.times[meeting_id].append(when)
            self.levels[meeting_id].append(level)
        self.current = current or {}

    @classmethod
    def of(cls, meeting_ids, *, model=None):
        from .models import Meeting

        model = model or Meeting
        rows = model.history.filter(id__in=meeting_ids).values_list("id", "history_date", "access")
        current = dict(model.objects.filter(pk__in=meeting_ids).values_list("pk", "access"))
        return cls(rows, current)

    def at(self, meeting_id, when):
        times = self.times.get(meeting_id)
        if not times:
            return self.current.get(meeting_id, Access.CONFIDENTIAL)
        index = bisect.bisect_right(times, when) - 1
        return self.levels[meeting_id][max(index, 0)]


def record_visible(record, *, user, meeting_levels=None, session_levels=None):
    """Whether `user` may see a history record: the level it was held at then, its meeting's then and, for a
    document of a session (`session_levels`), that session's then (as `level_of` reads a document now)."""
    meeting_level = meeting_levels.at(record.meeting_id, record.history_date) if meeting_levels else None
    session_id = getattr(record, "session_id", None)
    session_level = session_levels.at(session_id, record.history_date) if session_levels and session_id else None
    return can_see(user, highest(getattr(record, "access", None), meeting_level, session_level))


def visible_records(records, *, user, meeting_levels=None):
    """(record, previous visible record or None, first visible after hidden ones) for `user`.

    History shows an item only from the moment it became visible to the reader: a record held above
    their level is left out, and the first record after it is not compared with anything before.
    """
    previous, hidden, last_id, out = None, False, None, []
    for record in records:
        if record.id != last_id:
            previous, hidden, last_id = None, False, record.id
        if not record_visible(record, user=user, meeting_levels=meeting_levels):
            previous, hidden = None, True
            continue
        out.append((record, previous, hidden and previous is None))
        previous = record
        hidden = False
    return out


# --- Changing -----------------------------------------------------------------


def _perm(user, action, model_name):
    return _active(user) and user.is_staff and user.has_perm(f"events.{action}_{model_name}")


def can_publish(user):
    """Make an item public, lower its level, or change an item's level at all."""
    return _active(user) and user.is_staff and user.has_perm("events.publish_meeting")


def can_change(user, obj):
    return _perm(user, "change", obj._meta.model_name) and can_view(user, obj)


def can_delete(user, obj):
    return _perm(user, "delete", obj._meta.model_name) and can_view(user, obj)


def can_add(user, model):
    return _perm(user, "add", model._meta.model_name)


def changeable(queryset, user):
    """The rows of `queryset` `user` may change (empty without the change permission)."""
    if not _perm(user, "change", queryset.model._meta.model_name):
        return queryset.none()
    return visible(queryset, user)


def default_level(user):
    """The level a new item gets when its creator did not choose one."""
    return Access.PUBLIC if can_publish(user) else Access.RESTRICTED


def new_level(user, wanted):
    """The level an item copied or imported at `wanted` starts at when `user` creates it."""
    if wanted == Access.PUBLIC and not can_publish(user):
        return Access.RESTRICTED
    return wanted


def level_choices(user, *, current=None):
    """The levels `user` may give an item now at `current` (None: a new item)."""
    if can_publish(user):
        return [level for level in LEVELS if can_see(user, level)]
    if current is None:
        return [level for level in LEVELS if level != Access.PUBLIC and can_see(user, level)]
    return [current]


def level_error(user, *, old, new):
    """Why `user` may not take an item's own access level from `old` (None: a new item) to `new`, or None."""
    if new is None or (old is not None and old == new):
        return None
    if not can_see(user, new):
        return _("You may not give an item a level you cannot see.")
    if not can_publish(user) and (old is not None or new == Access.PUBLIC):
        return PUBLISH_REFUSED
    return None


def save_error(user, obj):
    """Why `user` may not save `obj` as it now stands, compared with its stored row; None if they may.

    Covers adding (permission, level they may see, never public without the publish permission),
    changing (an item they may change, own level unchanged without the publish permission) and
    moving (a session or document to a meeting at a lower level is publishing it).
    """
    name = obj._meta.model_name
    if name not in LEVELLED:
        return None
    model = type(obj)
    stored = model._default_manager.filter(pk=obj.pk).first() if obj.pk is not None else None
    after = level_of(obj)
    if stored is None:
        if not _perm(user, "add", name):
            return _("You may not add a %(model)s.") % {"model": model._meta.verbose_name}
        if not can_see(user, after):
            return _("You may not add an item at a level you cannot see.")
        if hasattr(obj, "access"):
            return level_error(user, old=None, new=obj.access)
        if after == Access.PUBLIC and not can_publish(user):
            # A document, delegation or delegate has no level of its own: added to a public meeting it is public.
            return ADD_TO_PUBLIC_REFUSED
        return None
    before = level_of(stored)
    if not (_perm(user, "change", name) and can_see(user, before)):
        return _("You may not change this %(model)s.") % {"model": model._meta.verbose_name}
    if not can_see(user, after):
        return _("You may not give an item a level you cannot see.")
    if hasattr(obj, "access") and (message := level_error(user, old=stored.access, new=obj.access)):
        return message
    if rank(after) < rank(before) and not can_publish(user):
        return PUBLISH_REFUSED
    return None


# --- Importing and exporting --------------------------------------------------


def can_import(user, model):
    name = model._meta.model_name
    return _perm(user, "add", name) and _perm(user, "change", name)


def can_export(user, model):
    return _active(user) and user.is_staff and user.has_perm(f"events.view_{model._meta.model_name}")


# --- The policy as a table ------------------------------------------------------

ACTIONS = {
    "see": _("see"),
    "create": _("create at this level"),
    "change": _("change an item at this level"),
    "delete": _("delete an item at this level"),
    "set_level": _("set an item's level to this one"),
    "import": _("import rows at this level"),
    "export": _("export rows at this level"),
}


def allowed(user, action, level, *, model=None):
    """One cell of the policy table: may `user` do `action` to a meeting (or `model`) at `level`?"""
    from .models import Meeting

    model = model or Meeting
    name = model._meta.model_name
    if action == "see":
        return can_see(user, level)
    if action == "create":
        return _perm(user, "add", name) and can_see(user, level) and level_error(user, old=None, new=level) is None
    if action == "change":
        return _perm(user, "change", name) and can_see(user, level)
    if action == "delete":
        return _perm(user, "delete", name) and can_see(user, level)
    if action == "set_level":
        # Changing an existing item from another level to this one.
        others = [old for old in LEVELS if old != level and can_see(user, old)]
        return (
            _perm(user, "change", name)
            and can_see(user, level)
            and any(level_error(user, old=old, new=level) is None for old in others)
        )
    if action == "import":
        return can_import(user, model) and allowed(user, "create", level, model=model)
    if action == "export":
        return can_export(user, model) and can_see(user, level)
    raise ValueError(f"Unknown action {action!r}")


LEVEL_LETTERS = {Access.PUBLIC: "P", Access.RESTRICTED: "R", Access.CONFIDENTIAL: "C"}


def policy_rows(users):
    """[(action label, [cell per role])] for `users`, a {role name: user} mapping: the README's table.

    A cell lists the levels (P public, R restricted, C confidential) at which the role may do the action.
    """
    return [
        (
            str(label),
            [" ".join(LEVEL_LETTERS[level] for level in LEVELS if allowed(user, action, level)) or "–"
             for user in users.values()],
        )  # fmt: skip
        for action, label in ACTIONS.items()
    ]


def guard_save(sender, instance, raw=False, **kwargs):
    """The last line behind every door: a save made in a request by a user the policy refuses is stopped.

    Each door explains a refusal first (form error, 400, import row error); this catches any door that
    forgot to ask. Scripts and commands (no request) are the operator's and are not limited here.
    """
    if raw:
        return
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    if message := save_error(user, instance):
        raise PermissionDenied(message)
