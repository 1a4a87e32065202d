"""Benchmarks of DiploKG: a synthetic corpus generator and the build benchmark."""
