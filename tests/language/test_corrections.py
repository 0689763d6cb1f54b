import io
import json
import time

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from robot_hf.cli.main import main
from robot_hf.config.compose import compose
from robot_hf.dataset import DatasetReader
from robot_hf.dataset.validate import validate
from robot_hf.language import paraphrases
from robot_hf.language.labeling import motions_config
from robot_hf.language.motions import Vocabulary
from robot_hf.language.targets import motion_targets
from robot_hf.session.corrections import hotkey_text, hotkeys_for
from tests.language.conftest import LOW_DIM


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary.from_config(motions_config(compose("dataset").motions))


@pytest.fixture(scope="module")
def resolver(vocab):
    from robot_hf.language.resolver import MotionResolver

    return MotionResolver(vocab)


def test_paraphrases_resolve_and_nonsense_is_refused(vocab, resolver):
    texts, labels = paraphrases.paraphrase_set(vocab.motions, "heldout", per_motion=15, seed=3)
    train = set(paraphrases.paraphrase_set(vocab.motions, "train")[0])
    assert not set(texts) & train  # held out means never trained on
    hits = [resolver.resolve(t).motion == vocab.texts[k] for t, k in zip(texts, labels, strict=True)]
    assert np.mean(hits) >= 0.9, np.mean(hits)
    junk = paraphrases.nonsense("heldout")
    assert np.mean([resolver.resolve(t).motion is None for t in junk]) >= 0.9
    for text, motion in (("a little more to the left", "move left"), ("go higher", "move up"), ("back off", "move backward")):
        assert resolver.resolve(text).motion == motion
    assert "known motions" in resolver.refusal_line(resolver.resolve("what time is it"))


def test_hotkeys_name_every_default_motion_and_two_keys_combine(vocab):
    from robot_hf.session.corrections import TypedLines

    for motion in vocab.texts:
        assert hotkey_text(hotkeys_for(motion)) == motion
    assert hotkey_text("wa") == hotkey_text("aw") == "move forward and left" and hotkey_text("rd") == "move right and up"
    assert hotkey_text("ws") is None and hotkey_text("wo") is None and hotkey_text("go left") is None
    typed = TypedLines(stream=io.StringIO("wa\nA\ngo left\n\n"))
    typed._thread.join(timeout=5)
    assert [typed.take()[0] for _ in range(4)] == ["move forward and left", "move left", "go left", "continue"]


def test_a_correction_overrides_the_high_level_at_once_and_flushes_the_queue(hierarchical, resolver):
    from policies.base import Policy
    from robot_hf.session.corrections import CorrectionsActor, TypedLines
    from sim.robot import SimRobot

    policy = Policy.from_pretrained(hierarchical[1] / "pretrained_model")
    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    observation = robot.reset(seed=1)
    stream = io.StringIO()
    typed = TypedLines(stream=io.StringIO(""))
    actor = CorrectionsActor(policy, resolver, hold_steps=5, typed=typed)
    actor.start_episode(robot, observation)
    before = actor.act(observation).action
    assert policy.low._action_queue  # mid-chunk
    typed.lines.put(("go higher", time.monotonic()))
    decision = actor.act(observation)
    gripper = policy.gripper_dims
    assert gripper == [5] and np.array_equal(decision.action[gripper], before[gripper])  # "go higher" keeps the grip
    assert policy.current_motion == "move up" and decision.source == "correction" and decision.instruction == "move up"
    assert decision.events["correction"] == "go higher"
    assert len(policy.low._action_queue) == policy.config.n_action_steps - 1  # the old chunk was dropped: a new one began
    assert actor.latencies_ms and actor.latencies_ms[0] < 1000
    typed.lines.put(("what time is it", time.monotonic()))
    actor.act(observation)
    assert policy.current_motion == "move up" and actor.refused == 1 and "known motions" in actor.note
    for _ in range(4):
        actor.act(observation)
    assert policy.override is None  # held for 5 steps, then the high level picks again
    typed.lines.put(("let go of it", time.monotonic()))
    actor.act(observation)
    assert policy.current_motion == "open the gripper" and policy.kept_gripper is None  # a gripper motion moves it
    del stream


def test_the_pause_key_holds_the_arm_until_the_correction_is_in(hierarchical, resolver):
    from policies.base import Policy
    from robot_hf.session.corrections import CorrectionsActor, TypedLines
    from sim.robot import SimRobot

    policy = Policy.from_pretrained(hierarchical[1] / "pretrained_model")
    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    observation = robot.reset(seed=1)
    typed = TypedLines(stream=io.StringIO("p\n"))
    actor = CorrectionsActor(policy, resolver, hold_steps=5, typed=typed, max_pause_steps=3)
    actor.start_episode(robot, observation)
    typed._thread.join(timeout=5)  # the line "p" is read
    paused = actor.act(observation)
    assert paused.paused and paused.action is None and paused.events == {"pause": True}
    assert not policy.low._action_queue  # the policy was not asked for an action
    typed.lines.put(("what time is it", time.monotonic()))
    assert actor.act(observation).paused and actor.refused == 1  # refused text: still paused, to be said again
    typed.lines.put(("go higher", time.monotonic()))
    resumed = actor.act(observation)
    assert not resumed.paused and resumed.action is not None and policy.current_motion == "move up"
    assert actor.episode_info()["pauses"] == 1 and actor.episode_info()["paused_steps"] == 2
    actor.after_step({"pause": True}, 1, observation)  # a device's pause event; nothing said for longer than allowed
    assert [actor.act(observation).paused for _ in range(4)] == [True, True, True, False]
    assert "pause ended" in actor.note
    typed.lines.put(("wait", time.monotonic()))  # a paraphrase of "stop", not a pause
    assert not actor.act(observation).paused and policy.current_motion == "stop"


def test_a_batch_without_high_level_targets_still_gives_every_parameter_a_gradient(hierarchical):
    """Frames that ran under the policy's own choice have no high-level target; a batch of only those trains the low
    level and leaves the high level's loss at 0, yet each of its parameters gets a (zero) gradient, as
    DistributedDataParallel needs every step."""
    from torch.utils.data import default_collate

    from policies.base import Policy
    from robot_hf.dataset import DatasetReader
    from robot_hf.training.setup import build_windows

    policy = Policy.from_pretrained(hierarchical[1] / "pretrained_model").train()
    windows = build_windows(DatasetReader(hierarchical[0]), policy.config, cache="none")
    batch = default_collate([windows[i] for i in range(4)])
    batch["high_target"] = torch.full_like(batch["high_target"], -1)
    out = policy(batch)
    assert "high_loss" not in out
    out["loss"].backward()
    high = [p for name, p in policy.named_parameters() if not name.startswith("low.") and p.requires_grad]
    assert high and all(p.grad is not None for p in high)
    assert all(float(p.grad.abs().sum()) == 0 for name, p in policy.named_parameters() if name.startswith("high."))
    assert any(p.grad is not None and float(p.grad.abs().sum()) > 0 for name, p in policy.named_parameters() if name.startswith("low."))


@pytest.mark.parametrize("repick_steps", [0, 1, 3])
def test_the_high_level_reconsiders_mid_chunk_only_when_asked(hierarchical, repick_steps):
    """repick_steps=k: every k steps the high level picks again and a changed pick drops the chunk; 0: it waits for
    the chunk to run out."""
    from policies.base import Policy
    from sim.robot import SimRobot

    policy = Policy.from_pretrained(hierarchical[1] / "pretrained_model")
    policy.config.repick_steps = repick_steps
    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    observation = robot.reset(seed=1)
    policy.reset()
    policy.select_action(observation)
    first = policy.current_motion
    other = next(t for t in policy.texts if t != first)
    picks = []
    policy.motion_logits = lambda batch, goals: torch.eye(len(policy.texts))[[policy.texts.index(other)]]
    for _ in range(policy.config.n_action_steps - 1):
        policy.select_action(observation)
        picks.append(policy.current_motion)
    if repick_steps == 0:
        assert picks == [first] * len(picks)  # the chunk runs out first
    else:
        switched = repick_steps - 1  # the step at which the high level is asked again
        assert picks[:switched] == [first] * switched and set(picks[switched:]) == {other}
        # the old chunk was dropped at the switch: the queue holds a fresh chunk less the action just sent
        steps_since = len(picks) - switched
        assert len(policy.low._action_queue) == policy.config.n_action_steps - steps_since
    policy.command("move up", 4)  # a correction is never second-guessed by the high level while it holds
    for _ in range(3):
        policy.select_action(observation)
        assert policy.current_motion == "move up"


def test_a_margin_keeps_the_motion_in_force_mid_chunk_until_another_leads_it(hierarchical):
    """repick_margin=m: mid-chunk a new motion replaces the one in force only when its probability leads by m; when the
    chunk runs out the high level's first choice is taken as before."""
    from policies.base import Policy
    from sim.robot import SimRobot

    policy = Policy.from_pretrained(hierarchical[1] / "pretrained_model")
    policy.config.repick_steps, policy.config.repick_margin = 1, 0.3
    observation = SimRobot({"name": "lift", "object_state": True, "cameras": []}).reset(seed=1)
    policy.reset()
    policy.select_action(observation)
    first = policy.current_motion
    other = next(t for t in policy.texts if t != first)

    def leading(lead: float):  # `other` ahead of `first` by `lead` in probability, the rest near zero
        p = torch.full((1, len(policy.texts)), 1e-6)
        p[0, policy.texts.index(first)] = (1 - lead) / 2
        p[0, policy.texts.index(other)] = (1 + lead) / 2
        return lambda batch, goals: p.log()

    policy.motion_logits = leading(0.2)
    policy.select_action(observation)
    assert policy.current_motion == first and len(policy.low._action_queue) == policy.config.n_action_steps - 2
    policy.motion_logits = leading(0.4)
    policy.select_action(observation)
    assert policy.current_motion == other and len(policy.low._action_queue) == policy.config.n_action_steps - 1
    policy.motion_logits = leading(-0.2)  # `first` back ahead, by less than the margin: `other` stays
    while policy.low._action_queue:
        policy.select_action(observation)
        assert policy.current_motion == other
    policy.select_action(observation)  # the chunk ran out: the first choice, margin or not
    assert policy.current_motion == first


def test_the_simulated_corrector_waits_its_reaction_delay_and_makes_its_errors():
    from robot_hf.feedback.config import CorrectorConfig
    from robot_hf.feedback.corrector import SimulatedCorrector
    from sim.robot import SimRobot

    class Stuck:  # a policy that says it is moving up, whatever the scene (the expert goes down and right first)
        current_motion = "move up"
        override = None

    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    motions = motions_config(compose("dataset").motions)
    robot.reset(seed=2)
    keys = SimulatedCorrector(robot, Stuck(), motions, CorrectorConfig(reaction_delay_steps=3, input="keys", key_s=0),
                              seed=0)
    events = [keys.get_events() for _ in range(4)]
    assert events[:3] == [{}, {}, {}] and events[3]["correction"] == "move right and down" == hotkey_text("fd")
    assert keys.intended() == "move right and down" and keys.episode_info()["correction_seconds"] == 0.3
    # Typed, the line reaches the robot only once typed: reaction delay, then len(text) / chars_per_s seconds.
    typed = SimulatedCorrector(robot, Stuck(), motions, CorrectorConfig(reaction_delay_steps=3, chars_per_s=10), seed=0)
    events = []
    while not any(events) and len(events) < 100:
        events.append(typed.get_events())
    text = events[-1]["correction"]
    assert len(events) - 1 == 3 + round(len(text) / 10 * robot.fps)
    assert typed.episode_info()["correction_seconds"] == pytest.approx(0.3 + len(text) / 10, abs=0.01)
    # Pausing first: p + Enter (2 key strokes) reach the robot after the reaction delay, the line after its typing.
    pausing = SimulatedCorrector(robot, Stuck(), motions, CorrectorConfig(reaction_delay_steps=3, chars_per_s=10, key_s=0.2,
                                                                         pause=True), seed=0)
    events = [pausing.get_events()]
    while "correction" not in events[-1] and len(events) < 200:
        events.append(pausing.get_events())
    pause = next(i for i, e in enumerate(events) if e.get("pause"))
    assert pause == 3 + round(0.4 * robot.fps) and len(events) - 1 - pause == round(len(events[-1]["correction"]) / 10 * robot.fps)
    assert pausing.episode_info()["correction_seconds"] == pytest.approx(0.3 + 0.4 + len(events[-1]["correction"]) / 10, abs=0.01)
    wrong = SimulatedCorrector(robot, Stuck(), motions, CorrectorConfig(reaction_delay_steps=0, error_rate=1.0), seed=1)
    wrong.get_events()
    assert wrong.episode_info()["wrong_corrections"] == 1


@pytest.mark.parametrize("agree, corrects", [("direction", False), ("exact", True)])
def test_an_exact_corrector_also_corrects_a_motion_that_is_on_the_way(agree, corrects):
    from robot_hf.feedback.config import CorrectorConfig
    from robot_hf.feedback.corrector import SimulatedCorrector
    from sim.robot import SimRobot

    class OnTheWay:  # a policy going down while the expert goes down and right first: the same way, not the same motion
        current_motion = "move down"
        override = None

    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    robot.reset(seed=2)
    corrector = SimulatedCorrector(robot, OnTheWay(), motions_config(compose("dataset").motions),
                                   CorrectorConfig(reaction_delay_steps=1, input="keys", key_s=0, agree=agree), seed=0)
    assert corrector.intended() == "move right and down"
    events = [corrector.get_events() for _ in range(3)]
    said = [e["correction"] for e in events if e]
    assert said == (["move right and down"] if corrects else [])
    with pytest.raises(ValueError, match="feedback.corrector.agree"):
        CorrectorConfig(agree="roughly")


@pytest.mark.parametrize("action_space", ["joint", "ee_delta"])
def test_the_simulated_corrector_would_not_correct_the_expert_and_leaves_the_scene_alone(vocab, action_space):
    """It names what the expert would do as the labeller names the expert's recorded path, so a high level that says
    exactly what the demos' labels say draws no corrections (naming the plan's goal direction instead disagreed with
    the labels on 65% of Lift frames and corrected every demo); imagining that path never moves the scene."""
    from robot_hf.feedback.config import CorrectorConfig
    from robot_hf.feedback.corrector import SimulatedCorrector
    from robot_hf.language.motions import compatible, label_path
    from sim.lookahead import pose
    from sim.robot import SimRobot
    from sim.teleop import load_expert_class

    class Labels:  # a high level that says the label of the path the expert is driving
        current_motion = None
        override = None

    robot = SimRobot({"name": "lift", "object_state": True, "cameras": [], "action_space": action_space})
    motions = motions_config(compose("dataset").motions)
    labels = Labels()
    corrector = SimulatedCorrector(robot, labels, motions, CorrectorConfig(), seed=0)
    disagree = frames = 0
    for seed in range(3):
        poses, wants, said = [], [], None
        for replay in (False, True):  # the expert's episode, then the same episode with the high level saying its labels
            observation = robot.reset(seed=seed)
            expert = load_expert_class("lift")(robot.env, seed=seed)
            corrector.start_episode()
            for t in range(150):
                if robot.done or robot.success:
                    break
                if replay:
                    labels.current_motion = said[t]
                    corrector.get_events()
                else:
                    before = robot.env.get_state()
                    wants.append(corrector.intended())
                    np.testing.assert_array_equal(robot.env.get_state(), before)
                    poses.append(pose(robot.info))
                robot.send_action(expert.act(observation, robot.info))
                observation = robot.get_observation()
            assert robot.success
            if not replay:
                said = label_path(np.stack(poses), vocab, motions)
                disagree += sum(not compatible(h, w, vocab) for h, w in zip(said, wants, strict=True))
                frames += len(said)
        assert corrector.corrections == 0
    assert disagree / frames < 0.2


def test_a_hierarchy_told_gripper_binary_sends_only_the_demos_open_and_closed_gripper(hierarchical, tmp_path):
    demos, checkpoint = hierarchical
    rollouts = tmp_path / "rollouts"
    assert main(["rollout", *LOW_DIM, f"policy.path={checkpoint}", "policy.gripper_binary=true", "feedback=corrections",
                 "dataset.num_episodes=1", "feedback.corrector.reaction_delay_steps=1", f"dataset.root={rollouts}"]) == 0
    gripper = DatasetReader(demos).meta.features["action"]["names"].index("gripper")
    levels = DatasetReader(demos).column("action")[:, gripper]
    sent = DatasetReader(rollouts).column("action")[:, gripper]
    assert DatasetReader(rollouts).corrections  # corrected too: a correction keeps the gripper where it was
    assert set(np.unique(sent)) <= {levels.min(), levels.max()}


def test_rollout_with_corrections_stores_them_and_one_tiny_improve_round(hierarchical, tmp_path):
    demos, checkpoint = hierarchical
    rollouts = tmp_path / "rollouts"
    assert main(["rollout", *LOW_DIM, f"policy.path={checkpoint}", "feedback=corrections", "dataset.num_episodes=2",
                 "feedback.corrector.reaction_delay_steps=1", f"dataset.root={rollouts}"]) == 0
    r = DatasetReader(rollouts)
    assert r.corrections and all(c.who == "simulated corrector" and c.text for c in r.corrections)
    assert all(c.motion in r.tasks for c in r.corrections if c.motion)
    sources = r.column("source")
    assert "correction" in set(sources)
    instructions = {r.tasks[i] for i in r.column("instruction")[sources == "correction"]}
    assert instructions <= {c.motion for c in r.corrections}  # the motion in force on corrected frames is what was said
    assert r.preferences and validate(rollouts) == []

    # What the hierarchy learns from them: the high level the spoken motion from `lead_s` before each correction's
    # frame to one window after; the low level nothing from the frames that ran under a correction or that one named
    # (the policy's own, half-obeying or about to be corrected, actions).
    motions = compose("dataset").motions
    window = motions_config(motions).window
    vocab = Vocabulary.from_config(motions_config(motions))
    spans = {int(ep["episode_index"]): (int(ep["dataset_from_index"]), int(ep["dataset_to_index"])) for ep in r.meta.episodes}
    for lead in (0, 3):
        targets = motion_targets(r, OmegaConf.merge(motions, {"lead_s": lead / r.fps}))
        moments = {}
        for c in sorted(r.corrections, key=lambda c: (c.episode_index, c.frame_index)):
            if c.motion:
                start, end = spans[c.episode_index]
                frame = start + c.frame_index
                moments |= {f: vocab.index(c.motion) for f in range(max(frame - lead, start), min(frame + window, end))}
        chosen = np.flatnonzero(targets["high_target"] >= 0)
        assert len(chosen) and {int(f): int(targets["high_target"][f]) for f in chosen} == moments
        assert (sources == "correction").sum() > len(chosen)  # the rest of a held correction is not a target
        unnamed = np.ones(len(sources), bool)
        unnamed[list(moments)] = False
        assert (targets["motion"][sources == "correction"] == -1).all() and (targets["motion"][list(moments)] == -1).all()
        assert (targets["motion"][(sources == "policy") & unnamed] >= 0).all()

    run = tmp_path / "improve"
    assert main(["improve", *LOW_DIM, "feedback=corrections", f"policy.path={checkpoint}", f"dataset.root={demos}", "rounds=1",
                 "episodes_per_round=2", "eval_episodes=2", "finetune_steps=5", "train.batch_size=8", "baseline=false",
                 "motions.lead_s=0.3", f"run.dir={run}"]) == 0
    result = json.loads((run / "improve.json").read_text())
    last = result["rounds"][1]
    assert last["corrections"] > 0 and last["person_seconds"] > 0 and last["classes"]["correction"] > 0
    # The fine-tune reads corrections as the command says (the lead) and keeps the policy's own vocabulary.
    from policies.base import Policy
    from robot_hf.training.checkpoint import pretrained_dir

    start, tuned = (Policy.from_pretrained(pretrained_dir(c)).config.motions
                    for c in (checkpoint, last["checkpoint"]))
    assert tuned["lead_s"] == 0.3 and start.get("lead_s", 0.0) == 0.0 and tuned["vocabulary"] == start["vocabulary"]


def test_the_low_level_hears_the_motion_and_the_task(hierarchical):
    from policies.base import Policy

    policy = Policy.from_pretrained(hierarchical[1] / "pretrained_model")
    left, right = policy.low_language(["move left", "move right"], ["lift the cube"] * 2)
    other_task = policy.low_language(["move left"], ["push the T into place"])[0]
    assert left.shape == (768,) and torch.equal(left[384:], right[384:]) and not torch.equal(left[:384], right[:384])
    assert torch.equal(left[:384], other_task[:384]) and not torch.equal(left[384:], other_task[384:])


def test_both_levels_see_the_cameras_and_crop_set_on_the_hierarchy():
    """policy=hierarchical policy.cameras=[] on a dataset with a camera: the low level must not read the camera (it
    did, with the default 84 px crop on 64 px images, and training crashed in the crop)."""
    from policies import config_class
    from robot_hf.training.setup import fit_crop

    low = {"name": "diffusion", "down_dims": [16, 32]}
    features = {"cameras": {"front": [3, 64, 64]}, "state_dim": 5, "action_dim": 3}
    state_only = config_class("hierarchical").from_dict({"low": low, "cameras": [], "features": features})
    assert state_only.cameras == [] and state_only.low_config().cameras == []
    with_camera = config_class("hierarchical").from_dict({"low": low, "features": features})
    assert fit_crop(with_camera) and with_camera.low_config().vision.crop == with_camera.vision.crop == [56, 56]
    set_low = config_class("hierarchical").from_dict({"low": {**low, "cameras": [], "vision": {"crop": [40, 40]}}})
    assert set_low.cameras == [] and set_low.low_config().vision.crop == [40, 40]  # what is set on the low level holds too


def test_small_moves_have_hotkeys_and_paraphrases_apart_from_the_full_moves():
    fine = Vocabulary.from_config(motions_config(compose("dataset", ["motions=fine"]).motions))
    for motion in fine.texts:
        assert hotkey_text(hotkeys_for(motion)) == motion
    assert hotkey_text("a.") == "move left a little" and hotkey_text("wa.") == "move forward and left a little"
    assert hotkey_text("o.") is None and hotkey_text(".") is None
    small, full = fine.by_text["move left a little"], fine.by_text["move left"]
    small_phrases = set(paraphrases.motion_phrases(small, "all", small_vocab=True))
    full_phrases = set(paraphrases.motion_phrases(full, "all", small_vocab=True))
    assert "a bit left" in small_phrases and not small_phrases & full_phrases
    assert not any(paraphrases.says_small(p) for p in full_phrases)
    # the default vocabulary (no small moves) keeps "a bit left" as a way to say "move left"
    assert "a bit left" in paraphrases.motion_phrases(full, "train")
    assert not paraphrases.says_small("pinch it") and paraphrases.says_small("inch left")
