"""Control tables: register address, size and signedness per motor model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Register:
    address: int
    size: int
    # Feetech registers that are sign-magnitude keep the sign in this bit.
    sign_bit: int | None = None
    # Dynamixel registers that are two's complement.
    signed: bool = False


STS3215 = {
    "Model_Number": Register(3, 2),
    "ID": Register(5, 1),
    "Baud_Rate": Register(6, 1),
    "Min_Position_Limit": Register(9, 2),
    "Max_Position_Limit": Register(11, 2),
    "P_Coefficient": Register(21, 1),
    "D_Coefficient": Register(22, 1),
    "I_Coefficient": Register(23, 1),
    "Homing_Offset": Register(31, 2, sign_bit=11),
    "Operating_Mode": Register(33, 1),
    "Torque_Enable": Register(40, 1),
    "Acceleration": Register(41, 1),
    "Goal_Position": Register(42, 2, sign_bit=15),
    "Goal_Velocity": Register(46, 2, sign_bit=15),
    "Torque_Limit": Register(48, 2),
    "Lock": Register(55, 1),
    "Present_Position": Register(56, 2, sign_bit=15),
    "Present_Velocity": Register(58, 2, sign_bit=15),
    "Present_Load": Register(60, 2, sign_bit=10),
    "Present_Voltage": Register(62, 1),
    "Present_Temperature": Register(63, 1),
    "Moving": Register(66, 1),
    "Present_Current": Register(69, 2, sign_bit=15),
}

X_SERIES = {
    "Model_Number": Register(0, 2),
    "ID": Register(7, 1),
    "Baud_Rate": Register(8, 1),
    "Drive_Mode": Register(10, 1),
    "Operating_Mode": Register(11, 1),
    "Homing_Offset": Register(20, 4, signed=True),
    "Max_Position_Limit": Register(48, 4),
    "Min_Position_Limit": Register(52, 4),
    "Torque_Enable": Register(64, 1),
    "LED": Register(65, 1),
    "Hardware_Error_Status": Register(70, 1),
    "Position_P_Gain": Register(84, 2),
    "Goal_Current": Register(102, 2, signed=True),
    "Goal_Velocity": Register(104, 4, signed=True),
    "Profile_Velocity": Register(112, 4),
    "Goal_Position": Register(116, 4, signed=True),
    "Moving": Register(122, 1),
    "Present_Current": Register(126, 2, signed=True),
    "Present_Velocity": Register(128, 4, signed=True),
    "Present_Position": Register(132, 4, signed=True),
    "Present_Temperature": Register(146, 1),
}

# model name -> (protocol, model number, control table, ticks per turn)
MODELS = {
    "sts3215": ("feetech", 777, STS3215, 4096),
    "xl330-m077": ("dynamixel", 1190, X_SERIES, 4096),
    "xl330-m288": ("dynamixel", 1200, X_SERIES, 4096),
    "xl430-w250": ("dynamixel", 1060, X_SERIES, 4096),
}

FEETECH_BAUD = {1_000_000: 0, 500_000: 1, 250_000: 2, 128_000: 3, 115_200: 4, 76_800: 5, 57_600: 6, 38_400: 7}
DYNAMIXEL_BAUD = {9_600: 0, 57_600: 1, 115_200: 2, 1_000_000: 3, 2_000_000: 4, 3_000_000: 5, 4_000_000: 6}

# Homing offsets the register can hold: Feetech 11 bits + sign; Dynamixel +-1,044,479.
HOMING_LIMITS = {"feetech": 2047, "dynamixel": 1_044_479}
