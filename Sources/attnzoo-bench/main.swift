print("attnzoo-bench: no benchmarks yet")
