explain systemd
