plan examples/conditions.toml --set with_extras=true --fact os_family=rhel
