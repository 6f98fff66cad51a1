"""What build, export, fmt and release write: Parquet, views, datapackage.json, codebook, SQLite, GeoJSON."""
