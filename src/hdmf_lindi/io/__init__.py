"""hdmf_lindi.io."""
