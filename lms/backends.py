from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Log in by email, case-insensitively. Inactive users are refused at login and, through
    ``get_user``, logged out on their next request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from lms.models import User

        email = username or kwargs.get("email")
        if not email or password is None:
            return None
        try:
            user = User.objects.get(email__iexact=email.strip())
        except User.DoesNotExist:
            # Run the hasher anyway so an unknown email takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
