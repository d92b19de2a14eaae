plan tests/golden/cli/plans/literal_condition.toml
