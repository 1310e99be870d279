"""The market: a segment's price trend and seasonality, and where a car or a lot sits against
comparable sales (pages and API)."""
