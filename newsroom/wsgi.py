"""WSGI entry point (gunicorn: ``newsroom.wsgi``). The startup heap is frozen out of the collector's way
(newsroom/heap.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
application = get_wsgi_application()

from newsroom.heap import freeze_startup_heap  # noqa: E402 (needs the application loaded)

freeze_startup_heap()
