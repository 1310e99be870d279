"""Market forecasts per segment, with their backtest (page and API)."""
