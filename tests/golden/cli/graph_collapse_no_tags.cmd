graph examples/hello.toml --collapse db
