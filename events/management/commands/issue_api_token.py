"""python manage.py issue_api_token USERNAME [--expires-in-days N] | --revoke-all USERNAME"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken


class Command(BaseCommand):
    help = (
        "Issue an API token for a staff user and print it once (only its digest is stored), "
        "or revoke all of a user's tokens."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--expires-in-days", type=int, help="The token stops working after this many days.")
        parser.add_argument("--revoke-all", action="store_true", help="Revoke every API token of the user.")

    def handle(self, *args, username, expires_in_days=None, revoke_all=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user “{username}”.")
        if revoke_all:
            count, _ = AuthToken.objects.filter(user=user).delete()
            self.stdout.write(f"Revoked {count} API token(s) of {username}.")
            return
        if not user.is_active:
            raise CommandError(f"The user “{username}” is inactive; a token would not work.")
        if expires_in_days is not None and not 1 <= expires_in_days <= 3660:
            raise CommandError("--expires-in-days must be from 1 to 3660.")
        expiry = dt.timedelta(days=expires_in_days) if expires_in_days else None
        token, secret = AuthToken.objects.create(user=user, expiry=expiry)
        until = f"until {token.expiry:%Y-%m-%d %H:%M} UTC" if token.expiry else "without expiry"
        self.stderr.write(f"API token for {username}, valid {until}. It is shown only now; store it safely:")
        self.stdout.write(secret)
