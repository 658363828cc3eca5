"""Local stand-ins and request builders: used by the demo, the tests and the benchmarks."""
