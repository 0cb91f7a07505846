from supervisor.cli.main import entry

entry()
