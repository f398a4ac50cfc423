"""hdmf_lindi.cli."""
