"""Staff roles as groups: Viewer, Data entry, Editor (may publish), Administrator.

Created by migration 0002, and again after any `migrate` or `flush` that left
a role missing; a role that exists is never touched, so permissions an
administrator adjusted stay as they are.
"""

from django.apps import apps as global_apps

CONTENT = [
    "meeting", "session", "outcomedocument", "delegation", "delegationmember",
    "person", "venue", "series", "chairmanship", "networkcity",
]  # fmt: skip
HISTORY = ["historicalmeeting", "historicalsession", "historicaloutcomedocument", "historicaldelegation",
           "historicalperson", "historicalvenue", "historicalseries",
           "historicalchairmanship", "historicaldelegationmember", "historicalnetworkcity"]  # fmt: skip

VIEWER = [f"view_{m}" for m in CONTENT] + ["view_restricted"]
DATA_ENTRY = VIEWER + [f"{a}_{m}" for a in ("add", "change") for m in CONTENT]
EDITOR = (
    DATA_ENTRY
    + [f"delete_{m}" for m in CONTENT]
    + [f"view_{m}" for m in HISTORY]
    + ["publish_meeting", "view_confidential"]
)
ROLES = {"Viewer": VIEWER, "Data entry": DATA_ENTRY, "Editor": EDITOR}
ADMINISTRATOR_APPS = ["events", "auth", "knox", "axes", "admin"]


def _model_exists_yet(codename, apps):
    """Whether the model a permission is about exists at this point of the migrations (`apps`).

    Migration 0002 makes the roles before later migrations add models; those grant their own (0013).
    Permissions not named for a model (`view_restricted`, `publish_meeting`) always count.
    """
    model = codename.partition("_")[2]
    names_now = {m._meta.model_name for m in global_apps.get_app_config("events").get_models()}
    names_then = {m._meta.model_name for m in apps.get_app_config("events").get_models()}
    return model not in names_now or model in names_then


def create_missing_roles(*, using="default", apps=global_apps):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    existing = set(Group.objects.using(using).values_list("name", flat=True))
    for name, codenames in ROLES.items():
        if name in existing:
            continue
        codenames = [c for c in codenames if _model_exists_yet(c, apps)]
        permissions = Permission.objects.using(using).filter(content_type__app_label="events", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Role {name}: permissions not found: {sorted(missing)}")
        Group.objects.using(using).create(name=name).permissions.set(permissions)
    if "Administrator" not in existing:
        Group.objects.using(using).create(name="Administrator").permissions.set(
            Permission.objects.using(using).filter(content_type__app_label__in=ADMINISTRATOR_APPS)
        )
