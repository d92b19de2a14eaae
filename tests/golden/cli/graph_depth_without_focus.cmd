graph tests/golden/graph/tagged.toml --depth 1
