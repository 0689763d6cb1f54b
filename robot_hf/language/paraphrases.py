"""Generated paraphrases of the motions, to train the text-to-motion head and to test it on phrasings it never saw.

Each motion's words are split into parts (a direction per axis, a rotation, the gripper, stop); each part has
phrasings for training and others held out, and sentence templates are split the same way. The held-out set is
what the simulated corrector types and what the mapping accuracy is measured on. Nonsense and off-task sentences
train the refusal class and test it. A task's own motions ("insert the peg") get template paraphrases of their text.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from robot_hf.language.motions import Motion

# Per direction: (training phrasings, held-out phrasings).
DIRECTIONS = {
    ("x", 1): (["forward", "forwards", "ahead", "away from the base", "further forward", "out", "further out", "away from me",
                "a bit forward", "more forward"], ["outward", "farther away", "further ahead"]),
    ("x", -1): (["backward", "backwards", "back", "toward the base", "closer to the base", "back off", "pull back",
                 "toward me", "a bit back", "more back"], ["nearer to me", "back a little", "further back"]),
    ("y", 1): (["left", "to the left", "leftward", "leftwards", "a bit left", "more to the left", "to your left",
                "more left", "a little left"], ["a little more to the left", "over to the left side", "further left"]),
    ("y", -1): (["right", "to the right", "rightward", "rightwards", "a bit right", "more to the right", "to your right",
                 "more right", "a little right"], ["a little more to the right", "over to the right side", "further right"]),
    ("z", 1): (["up", "upward", "upwards", "higher", "a bit higher", "raise it", "go higher", "lift it", "more up"],
               ["lift it up", "further up", "a little higher"]),
    ("z", -1): (["down", "downward", "downwards", "lower", "a bit lower", "lower it", "go lower", "more down", "descend"],
                ["drop down", "further down", "a little lower"]),
}
ROTATIONS = {
    1: (["rotate left", "turn left", "twist counterclockwise", "rotate counterclockwise", "turn the wrist left",
         "rotate anticlockwise", "twist left"], ["spin it to the left", "turn the wrist anticlockwise", "rotate it a bit left"]),
    -1: (["rotate right", "turn right", "twist clockwise", "rotate clockwise", "turn the wrist right", "twist right"],
         ["spin it to the right", "turn the wrist clockwise", "rotate it a bit right"]),
}
GRIPPER = {
    1: (["open the gripper", "open", "release", "let go", "open the hand", "let it go", "open the fingers", "drop it"],
        ["open your fingers", "release the object", "open the jaws"]),
    -1: (["close the gripper", "close", "grab", "grasp it", "close the hand", "grab it", "close the fingers", "grip it"],
         ["grab it now", "shut the fingers", "pinch it"]),
}
STOPS = (["stop", "hold still", "freeze", "stay there", "halt", "don't move", "stay put", "hold it there", "wait"],
         ["wait there", "hold it right there", "stop moving"])

# Sentence templates around a motion phrase: (training, held-out).
MOVE_TEMPLATES = (["move {d}", "go {d}", "{d}", "please move {d}", "move the arm {d}", "now {d}", "{d} please",
                   "move it {d}", "go a bit {d}", "you need to go {d}", "{d} now", "slightly {d}", "nudge it {d}",
                   "push {d}", "head {d}", "bring it {d}", "steer {d}", "slide {d}", "ok {d}", "{d} at once"],
                  ["could you go {d}", "try {d}", "ok {d} now", "shift {d}", "a touch {d}"])
PLAIN_TEMPLATES = (["{m}", "please {m}", "{m} now", "now {m}", "{m} please", "ok {m}", "you should {m}", "{m} at once",
                    "{m} immediately", "go ahead and {m}"],
                   ["could you {m}", "{m} right away", "just {m}"])
# Small moves ("move left a little", in a vocabulary that has them): the direction in a template that says how little.
SMALL_TEMPLATES = (["{d} a little", "a little {d}", "a bit {d}", "slightly {d}", "nudge it {d}", "just a bit {d}",
                    "a tad {d}", "move {d} a little", "move {d} slightly", "go a little {d}", "inch {d}",
                    "a little bit {d}"],
                   ["a touch {d}", "just a hair {d}", "ever so slightly {d}", "move {d} a tiny bit"])
# Words that ask for a small move: where a vocabulary has small moves, its full moves' paraphrases go without them.
SMALL_WORDS = re.compile(r"\b(a bit|a little|slightly|nudge|a touch|a tad|a hair|inch|tiny)\b")
JOINERS = (["{a} and {b}", "{a} and {b} a bit", "{a}, {b}", "{a} and a bit {b}", "{a} then {b}"],
           ["{a} while going {b}", "{a} and also {b}", "{a} plus {b}"])

NONSENSE = (
    ["what time is it", "the weather is nice today", "banana", "asdf qwerty", "hello there", "i like trains",
     "play some music", "how are you", "tell me a joke", "the cat sat on the mat", "seven", "blue sky",
     "order a pizza", "good job", "hmm", "lorem ipsum dolor", "is it raining", "thanks", "what is this", "zzz",
     "my car is red", "send an email", "who won the game", "i am hungry", "the meeting is at noon", "fish",
     "read me the news", "open the door", "close the window", "turn on the lights", "go to the kitchen",
     "left the building", "right now i am busy", "up to you", "back in five minutes"],
    ["call my mother", "the stock market fell", "purple elephant dancing", "qwop", "sing a song",
     "where are my keys", "photosynthesis", "xyzzy plugh", "nice weather for ducks", "book a flight",
     "what is the capital of france", "i left my phone at home", "turn up the volume", "the right answer is four",
     "open a new browser tab", "feed the dog", "the sun is up", "go to sleep", "happy birthday", "close the garage"],
)
SPLITS = ("train", "heldout")


def _pick(pair, split: str) -> list[str]:
    """A part's phrasings for a split; "all" is both (the held-out sentences are drawn from it, minus training's)."""
    return list(pair[0]) + list(pair[1]) if split == "all" else list(pair[SPLITS.index(split)])


def says_small(text: str) -> bool:
    return SMALL_WORDS.search(text) is not None


def motion_phrases(motion: Motion, split: str, small_vocab: bool = False) -> list[str]:
    """Paraphrases of one motion from the given split's phrasings and templates. `small_vocab`: the vocabulary also
    has small moves, so a full move's paraphrases leave out the words that ask for a small one."""
    phrases = _phrases(motion, split)
    return [p for p in phrases if not says_small(p)] if small_vocab and not motion.small else phrases


def _phrases(motion: Motion, split: str) -> list[str]:
    signs = dict(motion.signature)
    moves = [(a, s) for a, s in signs.items() if a in ("x", "y", "z")]
    if not signs:  # stop
        return _fill(_pick(STOPS, split), _pick(PLAIN_TEMPLATES, split), "m")
    if motion.small:  # the plain direction, in a template that says how little
        words = [[w for w in _pick(DIRECTIONS[m], split) if not says_small(w)] for m in moves]
        joined = words[0] if len(words) == 1 else sorted({f"{a} and {b}" for a, b in itertools.product(*words)})
        return _fill(joined, _pick(SMALL_TEMPLATES, split), "d")
    if motion.holding or set(signs) - {"x", "y", "z", "yaw", "gripper"} or (len(signs) == 1 and motion.text not in _KNOWN):
        return _fill([motion.text], _pick(PLAIN_TEMPLATES, split), "m")
    if "gripper" in signs:
        return _fill(_pick(GRIPPER[signs["gripper"]], split), _pick(PLAIN_TEMPLATES, split), "m")
    if "yaw" in signs and not moves:
        return _fill(_pick(ROTATIONS[signs["yaw"]], split), _pick(PLAIN_TEMPLATES, split), "m")
    words = [_pick(DIRECTIONS[m], split) for m in moves]
    if len(words) == 1:
        return _fill(words[0], _pick(MOVE_TEMPLATES, split), "d")
    phrases = set()
    for a, b in itertools.product(words[0], words[1]):
        for joiner in _pick(JOINERS, split):
            phrases |= {joiner.format(a=a, b=b), joiner.format(a=b, b=a)}
    return sorted(phrases | {"move " + p for p in phrases})


_KNOWN = {"stop", "rotate left", "rotate right", "open the gripper", "close the gripper", "move forward", "move backward",
          "move left", "move right", "move up", "move down"}


def _fill(parts: list[str], templates: list[str], slot: str) -> list[str]:
    return sorted({t.format(**{slot: p}) for p in parts for t in templates})


def paraphrase_set(motions: list[Motion], split: str, per_motion: int = 120, seed: int = 0) -> tuple[list[str], list[int]]:
    """(texts, motion index) for every motion, at most `per_motion` each (a seeded draw). Training: training phrasings in
    training templates, and each motion's own text. Held out: sentences with a held-out phrasing or template, never
    in training."""
    rng = np.random.default_rng(seed)
    small_vocab = any(m.small for m in motions)
    texts, labels = [], []
    for k, motion in enumerate(motions):
        train = set(motion_phrases(motion, "train", small_vocab))
        phrases = sorted(train if split == "train" else set(motion_phrases(motion, "all", small_vocab)) - train - {motion.text})
        if len(phrases) > per_motion:
            phrases = [phrases[i] for i in sorted(rng.choice(len(phrases), per_motion, replace=False))]
        if split == "train":
            phrases = sorted({motion.text, *phrases})
        texts += phrases
        labels += [k] * len(phrases)
    return texts, labels


def nonsense(split: str) -> list[str]:
    return _pick(NONSENSE, split)


def sample_phrase(motion: Motion, rng: np.random.Generator, split: str = "heldout", small_vocab: bool = False) -> str:
    """One paraphrase, as the simulated corrector types it."""
    options = (sorted(set(motion_phrases(motion, "all", small_vocab)) - set(motion_phrases(motion, "train", small_vocab)))
               if split == "heldout" else motion_phrases(motion, split, small_vocab)) or [motion.text]
    return options[int(rng.integers(len(options)))]
