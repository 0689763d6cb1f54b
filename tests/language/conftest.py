import pytest

from robot_hf.cli.main import main

LOW_DIM = ["task=lift", "task.object_state=true", "task.cameras=[]"]


@pytest.fixture(scope="module")
def hierarchical(tmp_path_factory):
    """A tiny hierarchical policy (MLP low level) trained on 3 scripted Lift demos."""
    root = tmp_path_factory.mktemp("hier")
    assert main(["record", *LOW_DIM, "dataset.num_episodes=3", f"dataset.root={root / 'demos'}"]) == 0
    assert main(["train", *LOW_DIM, "policy=hierarchical", "policy.low=mlp", "policy.cameras=[]", f"dataset.root={root / 'demos'}",
                 "train=tiny", "train.steps=30", "train.save_every=30", "train.eval_every=0", "train.eval_final=false",
                 f"run.dir={root / 'run'}"]) == 0
    return root / "demos", root / "run" / "checkpoints" / "step_0000030"
