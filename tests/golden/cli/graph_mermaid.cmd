graph examples/parallel.toml --format mermaid
