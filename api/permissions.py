"""Permissions fail closed: every view needs an authenticated user with an agency membership."""

from typing import TYPE_CHECKING

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ooh.accounts.models import User

from .access import stated_incident

if TYPE_CHECKING:  # rest_framework.views loads this module through its settings: no import back at run time
    from rest_framework.views import APIView


class IsAgencyMember(BasePermission):
    """A signed-in member of an agency; a purpose stated with `?incident=` must be an incident they see
    (it is recorded with the read, so an unchecked id would put a false purpose on the record)."""

    message = "Your account has no agency membership; ask an administrator to add you to your agency."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and hasattr(user, "membership")):
            return False
        stated_incident(request)
        return True


def member(request: Request) -> User:
    """The signed-in member making the request, as the domain's actions take them (a User).

    Every view runs behind IsAgencyMember, so by the time a handler asks this holds; the check says so
    to the type checker, and would refuse (401) a view that ever ran without it rather than act as no one.
    """
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user
