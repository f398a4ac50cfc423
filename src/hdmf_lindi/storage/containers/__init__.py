"""hdmf_lindi.storage.containers."""
