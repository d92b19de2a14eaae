graph tests/golden/graph/tagged.toml --collapse servcies
