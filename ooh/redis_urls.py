"""REDIS_URL as the channel layer, the cache and the broker each need it: a plain Redis, or Redis
Sentinel.

A Sentinel deployment is named by kombu's own URL form, one `sentinel://` per sentinel joined with
";", with the master's name in OOH_REDIS_SENTINEL_MASTER:

    REDIS_URL="sentinel://:secret@10.0.0.1:26379/0;sentinel://:secret@10.0.0.2:26379/0;sentinel://:secret@10.0.0.3:26379/0"
    OOH_REDIS_SENTINEL_MASTER=ooh
    OOH_REDIS_SENTINEL_PASSWORD=...     # only if the sentinels themselves ask for one

The URL's password and database number are the master's (as kombu reads them). Every client asks a
sentinel for the current master and asks again after a failover, so a promoted replica takes over with
no change here.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from redis.sentinel import Sentinel, SentinelConnectionPool

SCHEME = "sentinel"
SENTINEL_SOCKET_TIMEOUT = 2


@dataclass(frozen=True)
class SentinelTarget:
    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int
    password: str | None
    sentinel_password: str | None = None

    def connection_options(self) -> dict[str, Any]:
        """The master's connection settings (the database and password are the master's)."""
        return {"db": self.db, **({"password": self.password} if self.password else {})}

    def sentinel_options(self, **socket_options: Any) -> dict[str, Any]:
        """How to talk to the sentinels themselves: quick answers (a sentinel only says where the master
        is), the same connect timeout as the master's, and their own password if any."""
        sentinel_kwargs = {"socket_timeout": SENTINEL_SOCKET_TIMEOUT} | {
            k: v for k, v in socket_options.items() if k == "socket_connect_timeout"
        }
        return sentinel_kwargs | ({"password": self.sentinel_password} if self.sentinel_password else {})


def is_sentinel(url: str) -> bool:
    return url.startswith(f"{SCHEME}://")


def parse_sentinel_url(url: str, master: str, sentinel_password: str | None = None) -> SentinelTarget:
    """`sentinel://[:password@]host:port[/db]` joined with ";", for the master named `master`."""
    if not master:
        raise ImproperlyConfigured(
            "A sentinel:// REDIS_URL needs OOH_REDIS_SENTINEL_MASTER (the master's name)"
        )
    sentinels: list[tuple[str, int]] = []
    dbs, passwords = set(), set()
    for part in filter(None, (p.strip() for p in url.split(";"))):
        split = urlsplit(part)
        if split.scheme != SCHEME or not split.hostname:
            raise ImproperlyConfigured(f"REDIS_URL: {_shown(part)} is not sentinel://host:port[/db]")
        try:
            port = split.port or 26379
        except ValueError as exc:
            raise ImproperlyConfigured(f"REDIS_URL: {_shown(part)} has a port that is not a number") from exc
        path = split.path.strip("/")
        if path and not path.isdigit():
            raise ImproperlyConfigured(f"REDIS_URL: {_shown(part)}: the path must be a database number")
        sentinels.append((split.hostname, port))
        dbs.add(int(path or 0))
        passwords.add(unquote(split.password) if split.password else None)
    if len(dbs) != 1 or len(passwords) != 1:
        raise ImproperlyConfigured("REDIS_URL: every sentinel:// must name the same database and password")
    return SentinelTarget(tuple(sentinels), master, dbs.pop(), passwords.pop(), sentinel_password or None)


def _shown(part: str) -> str:
    """A part of the URL as an error may show it: without its password."""
    split = urlsplit(part)
    return part.replace(f":{split.password}@", ":***@") if split.password else part


def channel_layer_host(
    url: str, master: str, sentinel_password: str | None = None, **options: Any
) -> dict[str, Any]:
    """One entry of channels_redis' "hosts": an address, or the sentinels and the master's name."""
    if not is_sentinel(url):
        return {"address": url, **options}
    target = parse_sentinel_url(url, master, sentinel_password)
    return {
        "sentinels": list(target.sentinels),
        "master_name": target.master,
        "sentinel_kwargs": target.sentinel_options(**options),
        **target.connection_options(),
        **options,
    }


class SentinelCachePool(SentinelConnectionPool):
    """Django's Redis cache builds its pools with `pool_class.from_url(LOCATION, **OPTIONS)`: this one
    reads the sentinel URL (OPTIONS carries the master's name and the sentinels' password)."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> "SentinelCachePool":
        target = parse_sentinel_url(
            url, options.pop("sentinel_master", ""), options.pop("sentinel_password", None)
        )
        sentinel = Sentinel(  # type: ignore[no-untyped-call]  # redis-py's, untyped
            list(target.sentinels), sentinel_kwargs=target.sentinel_options(**options), **options
        )
        return cls(target.master, sentinel, **target.connection_options(), **options)
