"""Motor buses speaking the real byte protocols: Feetech SCS/STS and Dynamixel Protocol 2.0."""
