"""hdmf_lindi.cloud."""
