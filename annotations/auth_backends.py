"""Login throttling: django-axes's backend, for logins that come with a request."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a locked-out username and address before any password is checked (``settings.AXES_*``).

    Every login over HTTP (the site's login page, the admin's) passes the request and is throttled.
    ``authenticate()`` called without one (a shell, ``Client.login`` in tests) has no client address
    to throttle by and is left to the next backend, instead of failing as axes's own backend does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
