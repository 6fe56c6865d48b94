"""Permissions fail closed: every view needs an authenticated user with an agency membership."""

from rest_framework.permissions import BasePermission


class IsAgencyMember(BasePermission):
    message = "Your account has no agency membership; ask an administrator to add you to your agency."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and hasattr(user, "membership"))
