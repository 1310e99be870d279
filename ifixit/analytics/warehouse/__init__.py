"""The warehouse: sale facts from the group's sales, sold lots and imported files of historical
sales, and the rollups every market figure is read from."""
