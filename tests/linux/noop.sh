# Does nothing: for boot benchmarks.
