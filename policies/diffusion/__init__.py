"""Diffusion Policy: a 1-D conditional U-Net or a causal transformer denoising action chunks."""
