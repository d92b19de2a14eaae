plan examples/cleanup.toml
