"""A whole certification headless on files: `kiosk journey` and the benchmarks."""
