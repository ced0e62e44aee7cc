"""Studio mode: a per-person LoRA trained on the person's own selfies (DreamBooth-style).

`recipe` holds the hyper-parameters and where each default comes from; `examples` turns
assessed selfies into captioned, aligned training crops; `trainer` runs the steps with
progress, cancellation and checkpoints; `lora` attaches, saves and loads the adapter;
`personal` is the small hook that puts a person's LoRA into the generation backend for
that person's order only. Import explicitly: a preview-only worker never imports torch.
"""

TRAINING_STAGES = ("prior", "train")
"""Progress stages a studio order reports before the pipeline's own."""
