graph examples/cleanup.toml --format text
