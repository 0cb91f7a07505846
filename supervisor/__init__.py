"""scopebox's engine and CLI. The name is also that of Supervisor's package (supervisord, on
PyPI as `supervisor`): the two cannot share one environment, see supervisor/launcher.py."""

SCOPEBOX = True  # the launcher's proof that `import supervisor` found this package
