check tests/bad_plans/many_errors.toml
