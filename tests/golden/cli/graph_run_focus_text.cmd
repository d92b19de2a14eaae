graph tests/golden/run/rescue.toml --run tests/golden/run/rescue.jsonl --format text --focus upgrade --depth 1
