"""Benchmarks: run each as ``python bench/NAME.py`` from the project root."""
