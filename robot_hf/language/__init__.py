"""Language motions (RT-H): the vocabulary, labels from the end effector's path, and free text mapped onto it."""
