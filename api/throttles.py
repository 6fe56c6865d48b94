"""Rate limits: login attempts per client IP, failed logins per username, and per-user budgets for
searching, the linked picture and websocket tickets. Each 429 says in Retry-After when to try again."""

import hashlib
import logging
import math
from typing import TYPE_CHECKING

from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # the mixins are for SimpleRateThrottle; at run time they stay plain classes
    from rest_framework.views import APIView  # not at run time: its settings load this module

    _Throttle = SimpleRateThrottle
else:
    _Throttle = object


class FailOpenMixin(_Throttle):
    """If the cache (Redis) is down, let the request through rather than lock everyone out at 3 a.m."""

    def allow_request(self, request: Request, view: "APIView") -> bool:
        try:
            return super().allow_request(request, view)
        except APIException:
            raise  # the request itself is bad (a malformed body): that is the client's 400, not an outage
        except Exception:
            logger.warning("%s unavailable (cache down); allowing the request", self.scope, exc_info=True)
            return True


class RetryAfterMixin(_Throttle):
    """Retry-After is the whole seconds until enough counted requests leave the window, at least 1.

    DRF's estimate spreads the wait over the requests left and gives none once the history is longer
    than the rate (after the rate was lowered); a client needs a number it can sleep for.
    """

    # Set by SimpleRateThrottle.__init__ from the rate (the stubs leave them out); None only without a
    # rate, and a throttle without one allows every request before anything reads them.
    num_requests: int
    duration: int

    def wait(self) -> int:
        history = getattr(self, "history", [])
        if len(history) < self.num_requests:
            return 1
        # The history is newest first: the request that must leave is this many from the oldest.
        must_leave: float = history[-(len(history) - self.num_requests + 1)]
        return max(1, math.ceil(self.duration - (self.now - must_leave)))


class LoginIPThrottle(FailOpenMixin, RetryAfterMixin, SimpleRateThrottle):
    """Every login attempt from one client address, whatever the outcome."""

    scope = "login_ip"

    def get_cache_key(self, request: Request, view: "APIView") -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(RetryAfterMixin, SimpleRateThrottle):
    """Failed logins per username. Only LoginView's `record_failure` counts one: a login that succeeds
    never spends the budget, so an officer on several phones is never locked out by her own logins.
    Fails open like the others when the cache is down."""

    scope = "login_username"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        # Hashed: any text may be typed as a username, and cache keys must stay short and plain.
        ident = hashlib.sha256(username.strip().lower()[:150].encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def _recent_failures(self, request: Request, view: "APIView") -> list[float] | None:
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return None
        self.now = self.timer()
        self.history = [at for at in self.cache.get(self.key, []) if at > self.now - self.duration]
        return self.history

    def allow_request(self, request: Request, view: "APIView") -> bool:
        # Reads the failures so far and records nothing: the attempt has not failed yet.
        try:
            failures = self._recent_failures(request, view)
        except APIException:
            raise
        except Exception:
            logger.warning("login_username throttle unavailable (cache down); allowing", exc_info=True)
            return True
        if self.rate is None or failures is None:
            return True
        return len(failures) < self.num_requests

    def record_failure(self, request: Request, view: "APIView") -> None:
        """Count one failed login against the username tried."""
        try:
            failures = self._recent_failures(request, view)
            if self.rate is None or failures is None:
                return
            self.cache.set(self.key, [self.now, *failures], self.duration)
        except Exception:
            logger.warning("login_username throttle unavailable (cache down); not counted", exc_info=True)


class PerUserThrottle(FailOpenMixin, RetryAfterMixin, SimpleRateThrottle):
    """A budget per signed-in user for one scope."""

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        user_id = getattr(request.user, "pk", None)
        if user_id is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": user_id}


class SearchThrottle(PerUserThrottle):
    """Searches of people or addresses (a list with `?search=`); a list without one is not counted."""

    scope = "search"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if not request.query_params.get("search", "").strip():
            return None
        return super().get_cache_key(request, view)


class PictureThrottle(PerUserThrottle):
    """Linked pictures opened, of a person or of an address."""

    scope = "picture"


class WsTicketThrottle(PerUserThrottle):
    """Websocket tickets issued."""

    scope = "ws_ticket"
