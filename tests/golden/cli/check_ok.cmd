check examples/hello.toml examples/cleanup.toml
