"""Lightning data modules over the synthetic generators and the user's own media."""
