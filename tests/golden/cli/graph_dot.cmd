graph examples/watchdog.toml --format dot
