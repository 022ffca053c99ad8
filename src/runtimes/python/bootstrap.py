"""The script Flint starts for Python functions: `python3 -u bootstrap.py <opt>`.

The runtime itself is flint_runtime.py beside it, imported rather than run as the script so that
its bytecode is cached in __pycache__ where the directory is writable: a script is compiled on
every start (measured: ~10 ms and ~1.4 MiB that stays allocated per runtime process).
"""
import flint_runtime

flint_runtime.main()
