"""Container security: capabilities, seccomp, devices, masked paths, `--security-opt`.

Pure parsers and builders (`caps`, `seccomp`, `config`) with one impure module (`host`: device
nodes, profile files, the engine's own capabilities). Standard library only.
"""
