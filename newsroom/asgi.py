"""ASGI entry point. The startup heap is frozen out of the collector's way (newsroom/heap.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
application = get_asgi_application()

from newsroom.heap import freeze_startup_heap  # noqa: E402 (needs the application loaded)

freeze_startup_heap()
