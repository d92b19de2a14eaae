graph tests/golden/run/rescue.toml --run tests/golden/run/rescue.jsonl --format mermaid --focus lock-watch --depth 1
