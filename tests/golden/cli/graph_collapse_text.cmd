graph --collapse db --collapse backup tests/golden/graph/tagged.toml --format text
