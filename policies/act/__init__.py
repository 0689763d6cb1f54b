"""ACT: Action Chunking with Transformers (a CVAE over action chunks), with temporal ensembling."""
