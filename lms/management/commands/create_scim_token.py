"""Make a bearer token for SCIM provisioning (shown once), list tokens, or revoke one."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lms.models import ScimToken, User
from lms.scim.tokens import scim_token_create, scim_token_revoke


class Command(BaseCommand):
    help = "Create a SCIM bearer token for an HR system or identity provider (or --list, --revoke ID)."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="Which system will use it, e.g. 'Entra ID'.")
        parser.add_argument("--created-by", help="Email of the admin who asked for it (recorded on the token).")
        parser.add_argument("--list", action="store_true", help="List the tokens (never their secrets).")
        parser.add_argument("--revoke", type=int, metavar="ID", help="Revoke the token with this id.")

    def handle(self, *args, name=None, created_by=None, list=False, revoke=None, **options):
        if list:
            for token in ScimToken.objects.order_by("pk"):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(f"{token.pk}\t{token.name}\t{token.key_prefix}…\t{state}\tlast used {used}")
            return
        if revoke is not None:
            token = ScimToken.objects.filter(pk=revoke).first()
            if token is None:
                raise CommandError(f"No SCIM token has the id {revoke}.")
            scim_token_revoke(token=token)
            self.stdout.write(f"Revoked SCIM token {token.pk} ({token.name}).")
            return
        if not name:
            raise CommandError("Give the token a name, e.g. create_scim_token 'Entra ID'.")
        admin = None
        if created_by:
            admin = User.objects.filter(email__iexact=created_by.strip(), is_staff=True, is_active=True).first()
            if admin is None:
                raise CommandError(f"No active admin has the email {created_by}.")
        try:
            token, secret = scim_token_create(name=name, created_by=admin)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"SCIM token {token.pk} ({token.name}). Copy the secret now: it is not shown again.")
        self.stdout.write(secret)
