plan examples/conditions.toml --fact os_family=debian
