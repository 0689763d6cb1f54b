"""Real hardware: motor buses (Feetech, Dynamixel), arms (SO-101, Koch), cameras and teleop devices.

Knows nothing of policies or simulation. Arms and teleoperators match robot_hf.interfaces by shape.
"""
