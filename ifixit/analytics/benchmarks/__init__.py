"""Make and model benchmarks from the group's own sales (page and API)."""
