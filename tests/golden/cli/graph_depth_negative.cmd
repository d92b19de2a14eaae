graph tests/golden/graph/tagged.toml --focus db-upgrade --depth -1
