"""A behaviour-cloning MLP over the shared observation encoder: the baseline."""
