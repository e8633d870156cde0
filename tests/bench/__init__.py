"""The benchmark suite (`make bench`): ingest against a raw-INSERT floor, reads at ten years of history."""
