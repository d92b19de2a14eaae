graph tests/golden/graph/tagged.toml --format dot --focus restore-db --depth 1 --collapse services
