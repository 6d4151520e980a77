"""Developer tools that are not part of the kernel: building guest programs for tests and benchmarks."""
