plan examples/hello.toml --set whom=x
