"""Who a management command acts as (`--user NAME`): the same access policy as the admin, asked by name.

Without `--user` a command runs as the operator, unlimited (backups, the record, bulk fixes).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from events import access

RIGHTS = {
    "import": (access.can_import, "their role cannot add and change them"),
    "export": (access.can_export, "their role has no export right"),
}
HELP = {
    "import": "Import as this user, limited by what their role may change and publish (default: as the operator).",
    "export": "Export as this user: only the levels their role may see, refused if it may not export.",
}


def add_user_argument(parser, *, action):
    parser.add_argument("--user", metavar="NAME", help=HELP[action])


def acting_user(username, *, action, model):
    """The active user named `username`, if the policy lets them `action` ("import"/"export") rows of `model`.

    None when no name is given (the operator). A CommandError names what is missing otherwise.
    """
    if username is None:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user “{username}”.")
    allowed, missing = RIGHTS[action]
    if not allowed(user, model):
        raise CommandError(f"User “{username}” may not {action} {model._meta.verbose_name_plural}: {missing}.")
    return user
