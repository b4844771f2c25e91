"""Sessions read from the shared cache (Redis) and written through to the database, that keep
working from the database while the cache cannot be reached (issue 18).

Django's ``cached_db`` engine already tolerates a failing cache when it reads a session and when
it saves one, but not when it puts a session it read from the database back into the cache, asks
whether a key exists (a new session's key) or deletes one (signing out): with Redis down for a
restart, every signed-in page and every sign-in answered 500. Here each of those cache calls is
tried and, when the cache fails, skipped with one logged error: the database holds every session,
so nobody is signed out and nothing is lost; pages are a query slower until the cache is back.
``SESSION_ENGINE = "lms.sessions"`` in the production settings, when CACHE_URL is set.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def _cache_call(self, what: str, call, default=None):
        try:
            return call()
        except Exception:  # the cache's own errors (redis.exceptions.ConnectionError, timeouts, ...)
            logger.exception("Session cache unavailable (%s): %s from the database only", self._cache, what)
            return default

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.exception("Session cache unavailable (%s): read from the database only", self._cache)
            data = None
        if data is not None:
            return data
        session = self._get_session_from_db()
        if not session:
            return {}
        data = self.decode(session.session_data)
        self._cache_call(
            "kept",
            lambda: self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=session.expire_date)),
        )
        return data

    def exists(self, session_key):
        if session_key and self._cache_call(
            "checked", lambda: (self.cache_key_prefix + session_key) in self._cache, default=False
        ):
            return True
        return cached_db.DBStore.exists(self, session_key)

    def delete(self, session_key=None):
        cached_db.DBStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._cache_call("deleted", lambda: self._cache.delete(self.cache_key_prefix + session_key))
