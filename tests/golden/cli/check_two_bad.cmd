check tests/bad_plans/cycle.toml tests/bad_plans/unknown_kind.toml
