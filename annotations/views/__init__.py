"""Thin function views, one module per area: pages, review, exports, stats."""
