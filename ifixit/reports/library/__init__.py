"""Every report of the catalogue, one module per domain; importing this registers them."""

from ifixit.reports.library import sales  # noqa: F401
