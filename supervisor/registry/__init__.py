"""Talking to container registries: the OCI distribution API v2 (pull, push, login).

Only `supervisor.cli` verbs that need the network import this package, and httpx is imported
inside `client` only when a connection is made: the CLI's cold start stays cheap.
"""
