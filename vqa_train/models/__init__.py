"""Networks. They take plain keyword arguments and never see a Hydra config."""
