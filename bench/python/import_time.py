"""Prints the seconds one `import MODULE` takes in a fresh interpreter (run by bench/run.py)."""
import sys
import time

started = time.perf_counter()
__import__(sys.argv[1])
print(time.perf_counter() - started)
