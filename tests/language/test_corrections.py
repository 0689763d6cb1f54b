import io
import json
import time

import numpy as np
import pytest

from robot_hf.cli.main import main
from robot_hf.config.compose import compose
from robot_hf.dataset import DatasetReader
from robot_hf.dataset.validate import validate
from robot_hf.language import paraphrases
from robot_hf.language.labeling import motions_config
from robot_hf.language.motions import Vocabulary

LOW_DIM = ["task=lift", "task.object_state=true", "task.cameras=[]"]


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary.from_config(motions_config(compose("dataset").motions))


@pytest.fixture(scope="module")
def resolver(vocab):
    from robot_hf.language.resolver import MotionResolver

    return MotionResolver(vocab)


@pytest.fixture(scope="module")
def hierarchical(tmp_path_factory):
    """A tiny hierarchical policy (MLP low level) trained on 3 scripted Lift demos."""
    root = tmp_path_factory.mktemp("hier")
    assert main(["record", *LOW_DIM, "dataset.num_episodes=3", f"dataset.root={root / 'demos'}"]) == 0
    assert main(["train", *LOW_DIM, "policy=hierarchical", "policy.low=mlp", "policy.cameras=[]", f"dataset.root={root / 'demos'}",
                 "train=tiny", "train.steps=30", "train.save_every=30", "train.eval_every=0", "train.eval_final=false",
                 f"run.dir={root / 'run'}"]) == 0
    return root / "demos", root / "run" / "checkpoints" / "step_0000030"


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
    actor.act(observation)
    assert policy.low._action_queue  # mid-chunk
    typed.lines.put(("go higher", time.monotonic()))
    decision = actor.act(observation)
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
    del stream


def test_the_simulated_corrector_waits_its_reaction_delay_and_makes_its_errors():
    from robot_hf.feedback.config import CorrectorConfig
    from robot_hf.feedback.corrector import SimulatedCorrector
    from sim.robot import SimRobot

    class Stuck:  # a policy that says it is moving down, whatever the scene
        current_motion = "move down"
        override = None

    robot = SimRobot({"name": "lift", "object_state": True, "cameras": []})
    motions = motions_config(compose("dataset").motions)
    robot.reset(seed=2)
    corrector = SimulatedCorrector(robot, Stuck(), motions, CorrectorConfig(reaction_delay_steps=3), seed=0)
    events = [corrector.get_events() for _ in range(4)]
    assert events[:3] == [{}, {}, {}] and events[3]["correction"]
    assert corrector.intended() != "move down" and corrector.episode_info()["correction_seconds"] > 0.3
    wrong = SimulatedCorrector(robot, Stuck(), motions, CorrectorConfig(reaction_delay_steps=0, error_rate=1.0), seed=1)
    wrong.get_events()
    assert wrong.episode_info()["wrong_corrections"] == 1


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

    run = tmp_path / "improve"
    assert main(["improve", *LOW_DIM, "feedback=corrections", f"policy.path={checkpoint}", f"dataset.root={demos}", "rounds=1",
                 "episodes_per_round=2", "eval_episodes=2", "finetune_steps=5", "train.batch_size=8", "baseline=false",
                 f"run.dir={run}"]) == 0
    result = json.loads((run / "improve.json").read_text())
    last = result["rounds"][1]
    assert last["corrections"] > 0 and last["person_seconds"] > 0 and last["classes"]["correction"] > 0
