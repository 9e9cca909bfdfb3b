"""LightningModules: the training logic around a network."""
