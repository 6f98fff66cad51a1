"""Reading and writing files: the hand-coded CSV files, the seeds, the canonical CSV spelling, Parquet."""
