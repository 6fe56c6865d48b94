"""Permissions fail closed: every view needs an authenticated user with an agency membership."""

from rest_framework.permissions import BasePermission

from .access import stated_incident


class IsAgencyMember(BasePermission):
    """A signed-in member of an agency; a purpose stated with `?incident=` must be an incident they see
    (it is recorded with the read, so an unchecked id would put a false purpose on the record)."""

    message = "Your account has no agency membership; ask an administrator to add you to your agency."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active and hasattr(user, "membership")):
            return False
        stated_incident(request)
        return True
