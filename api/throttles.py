"""Login throttles: per client IP and per username tried, whatever the outcome."""

import hashlib
import logging

from rest_framework.exceptions import APIException
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class FailOpenMixin:
    """If the cache (Redis) is down, let the login through rather than lock everyone out at 3 a.m."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except APIException:
            raise  # the request itself is bad (a malformed body): that is the client's 400, not an outage
        except Exception:
            logger.warning("login throttle unavailable (cache down); allowing the attempt", exc_info=True)
            return True


class LoginIPThrottle(FailOpenMixin, SimpleRateThrottle):
    scope = "login_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(FailOpenMixin, SimpleRateThrottle):
    scope = "login_username"

    def get_cache_key(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        # Hashed: any text may be typed as a username, and cache keys must stay short and plain.
        ident = hashlib.sha256(username.strip().lower()[:150].encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
