
from hardware.arms.calibration import ArmCalibration
from hardware.emulated_arm import HALF_RANGE, MIDDLE
from hardware.emulator import BusEmulator
from robot_hf.cli.main import main
from robot_hf.cli.run_hardware import calibrate, setup_motors
from robot_hf.config.compose import compose


def test_calibrate_command_on_an_emulated_arm(tmp_path):
    with BusEmulator("feetech", {i: "sts3215" for i in range(1, 7)}) as emu:
        for i in range(1, 7):
            emu.set_position(i, MIDDLE)
        answers = iter(["", ""])

        def person(text: str) -> str:
            if text.startswith("recording ranges"):
                for low_high in (MIDDLE - HALF_RANGE, MIDDLE + HALF_RANGE):
                    for i in range(1, 7):
                        emu.set_position(i, low_high)
                    import time

                    time.sleep(0.1)
            return next(answers, "")

        cfg = compose("calibrate", ["robot=so101", f"robot.port={emu.port}", f"robot.calibration={tmp_path / 'c.json'}"])
        assert calibrate(cfg, prompt=person) == 0
    cal = ArmCalibration.load(tmp_path / "c.json")
    assert cal.motors["gripper"].range_max - cal.motors["gripper"].range_min == 2 * HALF_RANGE


def test_setup_motors_assigns_ids_one_at_a_time(tmp_path):
    from hardware.emulator import VirtualMotor

    with BusEmulator("feetech", {}) as emu:
        configured, prompts = [], []

        def person(text: str) -> str:
            prompts.append(text)
            configured.extend(emu.motors.values())
            emu.motors.clear()
            emu.motors[1] = VirtualMotor(1, "sts3215")  # plug in a factory-new motor (id 1)
            return ""

        cfg = compose("setup_motors", ["robot=so101", f"robot.port={emu.port}"])
        assert setup_motors(cfg, prompt=person) == 0
        configured.extend(emu.motors.values())
    assert prompts[0].startswith("Connect only the 'gripper' motor") and len(prompts) == 6
    assert [m.get("ID") for m in configured] == [6, 5, 4, 3, 2, 1]
    assert all(m.get("Baud_Rate") == 0 and m.get("Lock") == 1 for m in configured)  # 1 Mbps, EEPROM locked again


def test_find_devices_runs_without_hardware(capsys):
    assert main(["find-devices"]) == 0
    assert "cameras:" in capsys.readouterr().out


def test_replay_reproduces_a_sim_episode(tmp_path, capsys):
    root = tmp_path / "ds"
    assert main(["record", "task=lift", "task.cameras=[]", "teleop.clean=true", "dataset.num_episodes=1", f"dataset.root={root}"]) == 0
    assert main(["replay", f"dataset.root={root}", "episode=0", "task.cameras=[]"]) == 0
    assert "task success: True (recorded: True)" in capsys.readouterr().out
    assert main(["replay", f"dataset.root={root}", "episode=4", "task.cameras=[]"]) == 1
