graph tests/golden/graph/tagged.toml --focus db-upgarde
